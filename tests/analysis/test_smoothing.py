"""The moving average: a trailing window in steps, NaN left out, O(n)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainboard.analysis.smoothing import moving_average


def test_trailing_window_in_steps() -> None:
    got = moving_average([0, 1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0, 5.0], 2)
    np.testing.assert_allclose(got, [1.0, 1.5, 2.5, 3.5, 4.5])


def test_window_counts_steps_not_points() -> None:
    # logged every 10 steps: a 20-step window holds two points
    got = moving_average([0, 10, 20, 30], [0.0, 10.0, 20.0, 30.0], 20)
    np.testing.assert_allclose(got, [0.0, 5.0, 15.0, 25.0])


def test_nan_is_left_out_of_its_windows() -> None:
    got = moving_average([0, 1, 2, 3], [1.0, math.nan, 3.0, math.inf], 2)
    assert got[0] == 1.0 and got[1] == 1.0 and got[2] == 3.0 and got[3] == 3.0
    assert math.isnan(moving_average([0], [math.nan], 5)[0])


def test_bad_window_and_shapes() -> None:
    with pytest.raises(ValueError, match="window must be a positive number of steps, got 0"):
        moving_average([0], [1.0], 0)
    with pytest.raises(ValueError, match="2 steps but 1 values"):
        moving_average([0, 1], [1.0], 3)
    assert moving_average([], [], 3).size == 0
