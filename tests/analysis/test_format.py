"""analysis.format: the exact human text the CLI, API and UI show."""

from __future__ import annotations

import math

import pytest

from trainboard.analysis import format as fmt


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.9, "0s"),
        (45, "45s"),
        (62.5, "1m 2s"),
        (3725, "1h 2m 5s"),
        (3600, "1h 0m 0s"),
        (2 * 86400 + 3 * 3600 + 4 * 60 + 59, "2d 3h 4m"),
        (34 * 86400, "34d 0h 0m"),
        (-5, "0s"),
        (None, "—"),
        (math.nan, "—"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert fmt.duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0s"), (0.0, "0s"), (0.4, "1s"), (980.0, "16m 20s"), (math.inf, "—")],
)
def test_eta(seconds: float | None, text: str) -> None:
    assert fmt.eta(seconds) == text


def test_token_counts() -> None:
    assert fmt.integer(983040) == "983,040"
    assert fmt.integer(983040.0) == "983,040"
    assert fmt.integer(None) == "—"
    assert fmt.millions(983040) == "0.98M"
    assert fmt.millions(12_345_678) == "12.35M"
    assert fmt.millions(1_234_567_890) == "1.23B"
    assert fmt.millions(2.5e12) == "2.50T"
    assert fmt.millions(None) == "—"


def test_numbers_rates_percent() -> None:
    assert fmt.number(2.1) == "2.1000"
    assert fmt.number(3e-5) == "3.00e-05"
    assert fmt.number(math.nan) == "NaN"
    assert fmt.number(-math.inf) == "-inf"
    assert fmt.number(None) == "—"
    assert fmt.number(61440.0) == "61,440" and fmt.number(15400.456) == "15,400.46"
    assert fmt.number(0.0228, 3) == "0.023"
    assert fmt.rate(1.923, "steps") == "1.92 steps/s"
    assert fmt.rate(15400.4, "tokens") == "15,400 tokens/s"
    assert fmt.rate(None, "steps") == "—"
    assert fmt.percent(6.0) == "6.0%"
    assert fmt.percent(None) == "—"


def test_negative_zero_tokens_read_as_zero() -> None:
    from trainboard.analysis.format import millions

    assert millions(-0.0) == millions(0.0) == millions(0) == "0.00M"
