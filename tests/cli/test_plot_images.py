"""`trainboard plot RUN... --images KEY`: the figure with a strip of one key's images under it,
one row per run, the images drawn sharp; a key no run logged is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cli_support import Invoke
from PIL import Image as PILImage

import trainboard


def _run(name: str, colour: tuple[int, int, int]) -> str:
    run = trainboard.init(project="p", name=name)
    for s in range(12):
        img = np.zeros((8, 8, 3), np.uint8)
        img[:, : (s % 8) + 1] = colour
        run.log({"train/loss": 1.0 / (s + 1), "gen": trainboard.Image(img)}, step=s)
    run.finish()
    return run.id


def test_plot_with_an_image_strip(invoke: Invoke, tmp_path: Path) -> None:
    a, b = _run("red", (255, 0, 0)), _run("blue", (0, 0, 255))
    plain, strip = tmp_path / "plain.png", tmp_path / "strip.png"
    assert invoke("plot", a, b, "-o", str(plain), "--dpi", "50").exit_code == 0
    r = invoke("plot", a, b, "-o", str(strip), "--dpi", "50", "--images", "gen")
    assert r.exit_code == 0, r.output
    w0, h0 = PILImage.open(plain).size
    w1, h1 = PILImage.open(strip).size
    assert w1 == w0 and h1 == h0 + 2 * 95  # two rows of 1.9 inches at 50 dpi
    pixels = np.asarray(PILImage.open(strip).convert("RGB"))[h0:]  # the strip alone
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 50) & (pixels[..., 2] < 50)
    blue = (pixels[..., 2] > 200) & (pixels[..., 0] < 50) & (pixels[..., 1] < 50)
    assert red.sum() > 500 and blue.sum() > 500  # both runs' images are drawn
    bad = invoke("plot", a, "-o", str(tmp_path / "x.png"), "--images", "nothing")
    assert bad.exit_code != 0 and "no run logged images as 'nothing'" in bad.output
