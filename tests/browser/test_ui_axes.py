"""Axis text reads like a person wrote it (ui/src/charts/axes.ts, compiled by the UI's own
TypeScript and run by node): SI suffixes, plain decimals, exponents only for tiny numbers,
durations as h/m/s, and ticks with just enough digits to be exact."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "ui"
TSC = UI / "node_modules" / ".bin" / "tsc"


@pytest.fixture(scope="module")
def axes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert TSC.exists(), f"{TSC} missing: run `make ui` (npm ci) first"
    assert shutil.which("node"), "node is needed to run the UI's axis code"
    out = tmp_path_factory.mktemp("axes")
    subprocess.run(
        [str(TSC), str(UI / "src/charts/axes.ts"), "--outDir", str(out), "--module", "esnext",
         "--target", "es2022", "--skipLibCheck"],
        check=True, capture_output=True,
    )  # fmt: skip
    # node's ES modules need the ".js" that TypeScript's imports leave out (axes.ts imports
    # lib/format.ts, so tsc writes both, under charts/ and lib/)
    for js in out.rglob("*.js"):
        text = js.read_text()
        js.write_text(re.sub(r'(from\s+"\.{1,2}/[^"]+?)(?<!\.js)"', r'\1.js"', text))
    found = list(out.rglob("axes.js"))
    assert len(found) == 1, found
    return found[0]


def _js(axes: Path, expr: str) -> object:
    code = f"import('{axes.as_posix()}').then(m => console.log(JSON.stringify({expr})))"
    r = subprocess.run(["node", "-e", code], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


def test_si_ticks_and_numbers(axes: Path) -> None:
    assert _js(axes, "m.siTicks([0, 250000, 500000, 750000, 1000000])") == [
        "0", "250k", "500k", "750k", "1M",
    ]  # fmt: skip
    assert _js(axes, "m.siTicks([1000000, 1500000, 2000000])") == ["1M", "1.5M", "2M"]
    assert _js(axes, "m.siTicks([0.1, 0.15, 0.2])") == ["0.1", "0.15", "0.2"]
    assert _js(axes, "[m.si(2.5e-4), m.si(3e-5), m.si(1234567), m.si(2.5e9), m.si(NaN)]") == [
        "2.5e-4", "3e-5", "1.235M", "2.5B", "NaN",
    ]  # fmt: skip
    # neighbours that would read alike at 2 digits get more
    assert _js(axes, "m.siTicks([1001000, 1002000, 1003000])") == ["1.001M", "1.002M", "1.003M"]


def test_ticks_are_exact(axes: Path) -> None:
    # distinct at 2 digits ("13", "18") is not enough: each label reads as its value
    assert _js(axes, "m.siTicks([10, 12.5, 15, 17.5, 20])") == ["10", "12.5", "15", "17.5", "20"]
    assert _js(axes, "m.siTicks([1250000, 1500000, 1750000])") == ["1.25M", "1.5M", "1.75M"]
    assert _js(axes, "m.siTicks([0.125, 0.25, 0.375])") == ["0.125", "0.25", "0.375"]
    # float noise in a tick is not a digit to show
    assert _js(axes, "m.siTicks([0.1, 0.2, 0.30000000000000004])") == ["0.1", "0.2", "0.3"]


def test_durations(axes: Path) -> None:
    assert _js(axes, "m.durationTicks([0, 1800, 3600, 5400, 90000])") == [
        "0s", "30m", "1h", "1h 30m", "1d 1h",
    ]  # fmt: skip
    assert _js(axes, "[m.durationText(0.9), m.durationText(75), m.durationText(3725)]") == [
        "0.9s", "1m 15s", "1h 2m",
    ]  # fmt: skip


def test_moving_average_skips_gaps(axes: Path) -> None:
    assert _js(axes, "m.movingAverage([1, 3, null, 5, 7], 2)") == [1, 2, None, 4, 6]
