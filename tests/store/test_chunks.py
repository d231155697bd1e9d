"""The chunk codec is lossless: values bit-for-bit, steps exact, times to the microsecond."""

from __future__ import annotations

import base64
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainboard.errors import StoreError
from trainboard.store.codec import chunks


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


# Blobs written by version 2 of the codec (zlib + base64 here), for the inputs of _v2_cases.
V2_BLOBS = [
    "eNoBaAaX+VRCAgEsAQAAAAAAAAAAAAAAAQAAAAAAAAAdPh4YJAoGAAQAAAAAAAAAAHACAAAotS/9YKwDNRMApCVXvVs/T1p3cwbOSRKdf1QfAAOJjL+OjUVURTvnOw7DblwnBdVhosGT/jr78bW7XVaSfB1GEpoQMeIDJApN8CxVnNI0hzfcySxdXUXHmzUhY5Kubsg1f1qScneOLC2tmnw4je7Z0fuRsbEy/2Ho46VcS28+ITHU+dt7AXoRFgpuDFYQQdu1MOIO2bayykkCkPtGwFBfnNC1V4sgZdbtJTyE5wsKI+MPCgjIS+t9ZfnOTcJ8qZEGWNp5FQHL1nYmQ+QxyIoQa5nnHhzbvmt+49QYroLOfPbj8B9eAk3YXnDmm6BFgxiS8Umy9gBkxKUYdQ9gY6q2lL4Yw1pORQ8O/9T/6x1FxmY6kMVBShs9LEDCXHupJAwrUaDim3O6yRU1abvGWIbb8AqFZsKyE4mXlEaOto9Vi61nfK1ekZeAZoLBfoxxmmSPnleTep2rS5iIqVWbdXW5VpWVhWzDdpVJs2iYoVmmXpK0YI12epyUep1pmJGQZGu2eZ5pgHGik4+MWaGVYIypdIGSe6d2VY2imVGxi4iMVqCXZ3qaapCzeZSFiV6RkG60RsF5a6dxpJJUk3SogpWDkoWBUn+lfK1/bJGHm0mnk3eniH1tpE2va4WljI9XtYNidLiKbHGFlqFncrWKXqF7jmOybJt9k2OYmZBrbbd3kWOZpoVfnGC5YIuyaJ1WrpdGkn+OinXAWbV7XauLWYaXcZ+Kk4B+dqB9oXyIe3iAko94d4SBkZR9f5CiarFuZ8GAf1uzgIqDfnSvi3JvkIpkh6KLbop9vWl2qpJXsX2Ic6FRAQEBAAIAJ0AVspSoIA0otS/9YLADBR4A5Dmcoe/X9eemXZ/I3Dx4upJ9bx74/e+rB1t4+Ocw8RiS9fIJW6hMmwxUYddYKWftvy4Dl37HMEvP2CSooX3RrMPZKyEbvK4GMVrbuoCssY8mi2ycacJuET26nhubWODnqDy/BJmuMRUl92Ei4wbi4W6mD19iuVcm3eGLWC7bY2uU6GLsmsKT0Rx/jl6SUWKIXK1UdEsg+CWqa5xogTNamXWqIk7BVj9d+ynTpegQ+yk30znNz5lXGRM9vyk36q16q2UomXru4/NAhANJlNksGVhB0mTsPSkyjNVgsQGSZvGCytdfI9ZvQxBwGxfLkCVMrHP1xVtLKHnVuDoXkmxJerPpdERTTVPlgdSrbUXPpGmmdOpudGYoIqBNQ8aFqeguLjtg20lXej1Td2RqZCKUZCasMgOBK1dIoBeJwwnSZZoq6MkLJDV9rbK/+KMU6uwUlwhQ1qBgrvQNsIV/QRp8V3RtIN6RYxSsSLSZTpHPYcqlMV6J+vhtmYhXtOBYvoJdpyIwOPtsOki/UcGacjVTYhS0gyLc7mnbXn3b1n+x/dyNnxVEn0OAqmxk2L/jzthSjxgDzkkyBadWar2Xk71RpYpmMzyOCetpkeG73+wcHfxtb/FIw+TyQrQi7UnkO2/f5KJPtlNjclSgOjid1v5JBXjg8bcsnDoQdxXOL8pqhz+uaaiyVY2MGxWiibN1wSV6TA7PKPxGgy/6E+h/3VVM25GVUM5f5IT4H0iHz6MQIPuGJotlXMdvrCIfGUfYIdlgutB12n57JwNjGqwRtiPwQsI/sC6yqeVJoEn4Affx8PH75+3c5+vh3ODg3uTXz9DPzsvKvMq/ucPGvrqyyLqrq6+jrKawrJOjl6efoJSlpY+Xj5KIm4eKjoWGg4R5gIB8fneBcnJpaFxxWVxoZlpDYFtEXklBT0lMM108Lkg5QDY3OSs7KyQuMScdLg4WIg8fHCcOEBvsOwkHGg3sExUDAwzyCQTw2/bjCPgD8/TX+grc09vRydzP+dLZ58TvuLG7v5y9kt63pp6prJWWp53BxKawgLGeqsVAn3alZoaWn5Bye6GJOZyPmnOWSY1hjZRNbnCUhyl8hKYIQI8SGG6CLWhRi0d3FTc6d1kTWl0uJSawNjf6TsAICoOcO0wuVskHPKwBqEU6zzkPAQn2IxLfM78MEkfAUgDZpRLqZVumlyUyF/im1RQ/QD8/Pj8+Pj4+Pz4+PT4+PT49Pj4+PT09Pg0AuACeAfhssNngZeFOAkpAB+aADSq5UgqAAENMU5AGDs4HXw==",
    "eNoLcWJiYGNgYGBlgAAOBjQAF3ACYo2t+n8VAs4yMrAw//vLwM7w/z8Dg32DAwMDIyMjg9QzoIrJOUDiF8g001NAgu8jSCtQFQMTg8VDBR13sAkGvIwMJxiVgaKzGBiB5EyGDz8YPnzYWf+/of6/PRODJifLA24AldYe1Q==",
    "eNoBOwfE+FRCAgIsAQAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAABQwwAAAAAAAAAAAAAotS/9YGAIHTgABG5p0bHkTcdmnpE2q3bO6WaU7oJqTgD+K3WY6CqBY6WOCuINEHppKvOu1XQ0jf571E5ZSUtnmRm2WJZ/ch+yCzr3ZtnfV7WD1ys18eRsWpUVx+1hO34U1+D+X1l+yxCCmPCMLefyl2ejzXlTVTgTRHf0JklkcseX54lg6/KKLkKVZVbauOBlw2daQY/r6OIkU/1/EisEcuNlZsTfClcm/PqnS8HP1x+DsM+GyMFzs6zJLIJbEejVwRHQL4roxZJJ6++HKG+pqfGWSH9ezJ20Mb5kCDYw9md/+IBWVP7hh7QcUldms4vK1qYiGKy09cwsudRagv6KA7S6uMDJOlGsh+lCv+LON0NXyUCdhD8UoUspsYtxLjZjIzTbd+GzYuK67qtNJbSfgS0TV/DXSEsdnw8EshHNKOlCuRVCPwVvJ46j8HKBwPwgGcPOr4QCXTFzUSVdZI0CqBBeNqgbNc3QMteAt7xuPhRCbXyDtUpzR6tIdCDLa2Fia7CIXqK56VDP+xDiyp6cYNIcms5Ovr3cjh2h74+xIkDui+c4EFQxFaCiDvJws+tB0qm1w3hLfxvmY8j9k8VuCasBTF2U2qPrMHQ8jCCvr9MYeOhg1ke0KLuZA1cS3Ion+pHHzTb+l/CGa1Olgtdn4eUcREAqY6ggcM4W3IBFY62+h3c4cvf6OjhrcUmBc3sriEHsPUOn5Ip5IcOviIR2XAWiRl47n1GoHeBrFKTydeC8A7oXBdRdt49o4weNKt9C1j0iYTyhUZTs0GWuJh0Kf38T+ED3ybLbzHarJiF+lVA0M8hVIwGhL9nIKifsoG588vasOb5dNWUIORGoEV+k7km/VhT6CDqJ7Fa4/RHYNgkue8TaiZfK4JWgs3yk0KCvk94b0oSvyUWODSIpeF8pGnBkKOnL729bwqkP7TTRppJsAh6B5gB6+h57oRZa5yyUf0c/sd8FVvsazCUx8WJ2GCuJBGdy4WOiP9HpDr5ylpHAeAatqi5lcLLExNPhylxUWw3xgSIs5H0c0qN/RcfC5c4IElYx7cXjYkuZNPesC79ifo7+KFnPtSxC9+fr6gCaB3oKsUuaRNO1PqYLb7y/L6WjksJppn7hpYlrdilLeiWS2/KdfAODIuCZA60FVL7xrUyz4ZpjhRHagGjGldcKTobL4DDVmfjTCH9wIFx8IkeTNwLJQhW56tPFNazvVgdNe3NvdIOh0RVw53wyDA47liHh2Al4JxpT16fHOgQmpYPCaHXt0yv2OPUt5iHhKfxdT9Tvo/PhcKN8/iwIldXMeuQL8pwKQD8Kow1KXEUIpyOAv+Pt37yGPeaAD5QRiPpp10e4Lakrtkztm1kmBff9GEqV+HUPxJiKm84imTPx1d4OZeWNX1qA0k73zM79WuWdhJreUVWIiOaivDQJO8q0+52Z7p2kAbW+G8rLHLyq42YyRJw3FDCJHuvwKpUx+u4KTbI32phtVni34RxfpuggRVI+A5j3GPJ/tY3/A4+cIRVwKDWNKPwxVOKWXSTWYK6sRWX25RuFDZwffqRP3cyXEhBj3VGPa7U+2A0BX2Kq14ld9OtF6oTOAlkNHN8c1nvIfG6gAk8lI45PxcYQx1bldAOSIbFAz1/vfw+fL8BQ4XMElii6TN9yBpouwlfsghiuRd10DaU/2HMNqUThfhu5WPeXONl7HcFlCa5U+6JL851I859M+ahXB7hqHNCEOe+mXhfRjEcEwoBAAMGERwzRmF8o8byHVCLxwZFjNwvgto5nQBv31LKSclQ2Gv/mzbWfinZjUUExIxYKAPbu5+Hc2Ymrq62yucPP3e0AFS1HY4Kjx+wUP2uazP81bajlJGWp7zeBzhxtwRZuxyOC4kSpD3jjUEdgRjEfEQcCAAIIEh8wRl57m7/mEkByqOEdXaDmMHyLQOyfWBfbpnZMKAnv283Dv7/Fz95jFU+S3jKO8l/TT9Jd7htNmPBUxEDHWPSilAaJHsJ2+xDLnYeTMnznkyqzh8ezFzJ1///+/v79/fz8+/v6+vr5+fj49/f39vb19fT09PPz8vLx8fHw8O/v7+7u7e3t7Ozr6+vq6unp6ejo6Ofn5+bm5eXl5OTk4+Pj4uLi4uHh4eDg4N/f39/e3t7e3d3d3dzc3Nzb29vb2tnY19bVuqusra6urq6vr6+vsLCwsbGxsrKys7OztLS1tbW2cW5vcHFyc3R1dnd4eXp7fH1+f4CCg4SFhoiJiouNjkgiJCcqLS8yNTg7PkBDRklMT1JVWOy+xMrQ193j6vD3/QQK2jA9Slhlc4COm3luiqXB3Pj8YJfPBx/vX89fYidKLoh4AP/+/fz8/P39+vv7+vn69vbz7OA+/w4AToAKOExiHgDG/XhABzQB74KHQGBACnAHhIETiLQAFb10u2Y=",
    "eNoLcWJi1mFkYOBigAJmBjQQcBjB1tiq/zdhA7MrI8MCBoYGIHJwUAACAQ4WJkYGNwZOAQY1rSSjeVxLsyPEJdv0uri4AbzRDOA=",
    "eNoLcWJiZCAaaGzV/6vAANQAAC+3AsQ=",
    "eNoLcWJiZGRgYGBhQAOcDFiAxlb9vwosiiDmgXoAP/sENQ==",
]


def _v2_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    n = 300
    s = np.arange(n, dtype=np.int64)
    t = 1_700_000_000_000_000 + s * 100_000 + rng.integers(-9000, 9000, n)
    v = (2 * np.exp(-s / 100) + rng.normal(0, 0.05, n)).astype(np.float32).astype(np.float64)
    s2 = np.array([5, 3, 2**62, -(2**62), 7, 7], dtype=np.int64)
    t2 = np.array([0, 4_000_000_000_000_000, 1, 2, 3, 3], dtype=np.int64)
    odd = np.array([0x7FF0000000000001, 0xFFF8000000000123], dtype=np.uint64).view(np.float64)
    v2 = np.concatenate([odd, [-0.0, np.inf, -np.inf, 0.1]])
    lr = 3e-5 * 0.5 * (1 + np.cos(np.pi * s / n))
    e = np.empty(0, dtype=np.int64)
    one = (np.array([4]), np.array([9]), np.array([np.nan]))
    return [
        (s, t, v),
        (s2, t2, v2),
        (s, s * 50_000, lr),
        (s * 3 + 10, s * 50_000, (s * 8192).astype(np.float64)),
        (e, e, np.empty(0)),
        one,
    ]


def test_version_2_blobs_still_decode() -> None:
    for blob64, (steps, times_us, values) in zip(V2_BLOBS, _v2_cases(), strict=True):
        blob = zlib.decompress(base64.b64decode(blob64))
        assert blob[2] == 2
        s, t, v = chunks.decode_us(blob)
        assert s.tolist() == steps.tolist()
        assert t.tolist() == times_us.tolist()
        assert bits(v) == bits(values)
        s, t, v = chunks.decode_us(chunks.encode(steps, times_us, values))  # and as version 3
        assert s.tolist() == steps.tolist() and t.tolist() == times_us.tolist()
        assert bits(v) == bits(values)


def test_noisy_columns_stay_raw_and_small_deltas_narrow() -> None:
    rng = np.random.default_rng(0)
    n = 8192
    steps = np.arange(n, dtype=np.int64)
    times_us = 1_700_000_000_000_000 + steps * 100_000 + rng.integers(-10_000, 10_000, n)
    values = rng.normal(0.1, 0.05, n).astype(np.float32).astype(np.float64)
    blob = chunks.encode(steps, times_us, values)
    assert blob[2] == chunks.VERSION
    assert blob[3] & chunks.FLAG_INTS_RAW and blob[3] & chunks.FLAG_VALUES_RAW
    assert len(blob) <= 6 * n + 64  # 2-byte time deltas (minus their minimum), 4-byte values
    s, t, v = chunks.decode_us(blob)
    assert s.tolist() == steps.tolist() and t.tolist() == times_us.tolist()
    assert bits(v) == bits(values)
