"""The chunk codec is lossless: values bit-for-bit, steps exact, times to the microsecond."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainboard.errors import StoreError
from trainboard.store import chunks


def bits(a: np.ndarray) -> list[int]:
    return np.asarray(a, dtype=np.float64).view(np.uint64).tolist()


floats64 = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
floats32 = st.floats(width=32, allow_nan=True, allow_infinity=True).map(float)
steps_st = st.integers(min_value=-(2**62), max_value=2**62)
times_us_st = st.integers(min_value=0, max_value=4_000_000_000_000_000)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(steps_st, times_us_st, st.one_of(floats64, floats32)), max_size=300))
def test_round_trip_any_values(points: list[tuple[int, int, float]]) -> None:
    steps = np.array([p[0] for p in points], dtype=np.int64)
    times_us = np.array([p[1] for p in points], dtype=np.int64)
    values = np.array([p[2] for p in points], dtype=np.float64)
    s, t, v = chunks.decode_us(chunks.encode(steps, times_us, values))
    assert s.tolist() == steps.tolist()
    assert t.tolist() == times_us.tolist()
    assert bits(v) == bits(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(floats32, min_size=1, max_size=200))
def test_float32_values_take_the_small_path(values: list[float]) -> None:
    v = np.array(values, dtype=np.float64)
    n = v.shape[0]
    blob = chunks.encode(np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), v)
    assert blob[3] & chunks.FLAG_F32
    assert bits(chunks.decode(blob).values) == bits(v)


def test_nan_payloads_and_negative_zero_survive() -> None:
    odd_nan = np.array([0x7FF0000000000001, 0xFFF8000000000123], dtype=np.uint64).view(np.float64)
    v = np.concatenate([odd_nan, [-0.0, np.inf, -np.inf, 5e-324, np.finfo(np.float64).max]])
    n = v.shape[0]
    blob = chunks.encode(np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64), v)
    assert not blob[3] & chunks.FLAG_F32
    assert bits(chunks.decode(blob).values) == bits(v)


def test_times_keep_microseconds() -> None:
    times = np.array([1_700_000_000.123456, 1_700_000_000.1234567, 4e9 - 0.000001])
    us = chunks.times_to_us(times)
    back = chunks.decode(chunks.encode(np.arange(3, dtype=np.int64), us, np.zeros(3))).times
    assert np.abs(back - times).max() <= 0.5e-6 + 1e-9


def test_typical_series_is_small() -> None:
    rng = np.random.default_rng(0)
    n = 8192
    steps = np.arange(n, dtype=np.int64)
    times = 1.7e9 + steps * 0.1 + rng.uniform(0, 0.01, n)
    values = (2.5 * np.exp(-steps / 3000) + rng.normal(0, 0.05, n)).astype(np.float32)
    blob = chunks.encode(steps, chunks.times_to_us(times), values.astype(np.float64))
    assert len(blob) / n < 8


def test_empty_chunk_and_garbage() -> None:
    e = np.empty(0, dtype=np.int64)
    assert len(chunks.decode(chunks.encode(e, e, np.empty(0)))) == 0
    with pytest.raises(StoreError, match="not a trainboard chunk"):
        chunks.decode(b"XXXXXXXXXXXXXXXX")
    with pytest.raises(ValueError, match="chunk columns differ in length: 2, 1, 2"):
        chunks.encode(np.zeros(2, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(2))


def test_smooth_values_store_bit_differences() -> None:
    n = 4096
    steps = np.arange(n, dtype=np.int64)
    lr = 3e-5 * 0.5 * (1 + np.cos(np.pi * steps / n))  # float64, not float32-exact
    blob = chunks.encode(steps, steps * 50_000, lr)
    assert blob[3] & chunks.FLAG_VDELTA and not blob[3] & chunks.FLAG_F32
    assert bits(chunks.decode(blob).values) == bits(lr)
    tokens = (steps * 8192).astype(np.float64)
    blob = chunks.encode(steps, steps * 50_000, tokens)
    assert blob[3] & chunks.FLAG_VDELTA and blob[3] & chunks.FLAG_F32
    assert len(blob) < 200
    assert chunks.decode(blob).values.tolist() == tokens.tolist()
