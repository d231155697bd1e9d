"""An image strip under a figure: the images one key logged, a few steps evenly spread, one
row per run (`trainboard plot RUN... --images KEY`).

The figure is made taller and its panels moved up; each image is drawn with nearest-neighbour
sampling, so small images stay sharp, and titled with its step (and caption)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trainboard.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from trainboard.store.base import Store
    from trainboard.store.records import RunRecord

ROW_INCHES = 1.9


def _steps(steps: list[int], most: int) -> list[int]:
    if len(steps) <= most:
        return steps
    return [steps[round(i * (len(steps) - 1) / (most - 1))] for i in range(most)]


def add_image_strip(
    fig: Figure, store: Store, runs: Sequence[RunRecord], key: str, most: int = 8
) -> int:
    """Add the rows; return how many images were drawn. UsageError when no run logged
    images under `key`."""
    import numpy as np
    from PIL import Image

    rows: list[tuple[RunRecord, list[Any]]] = []
    for r in runs:
        found = [k for k in store.media_keys(r.id) if k.key == key and k.kind == "image"]
        if not found:
            continue
        items = []
        for step in _steps(found[0].steps, most):
            at = store.read_media(r.id, key, step=step)
            if at:
                items.append(at[0])
        rows.append((r, items))
    if not rows:
        raise UsageError(f"plot: no run logged images as {key!r}")
    w, h = fig.get_size_inches()
    extra = ROW_INCHES * len(rows)
    new_h = h + extra
    for ax in fig.axes:  # move every panel up, keeping its size in inches
        p = ax.get_position()
        ax.set_position((p.x0, (p.y0 * h + extra) / new_h, p.width, p.height * h / new_h))
    for t in fig.texts:
        x, y = t.get_position()
        t.set_position((x, (y * h + extra) / new_h))
    sup = getattr(fig, "_suptitle", None)  # matplotlib keeps it apart from fig.texts
    if sup is not None:
        x, y = sup.get_position()
        sup.set_position((x, (y * h + extra) / new_h))
    fig.set_size_inches(w, new_h, forward=True)
    drawn = 0
    for row, (run, items) in enumerate(reversed(rows)):
        y0 = (row * ROW_INCHES + 0.25) / new_h
        height = (ROW_INCHES - 0.55) / new_h
        cell = 0.9 / max(most, 1)
        for i, item in enumerate(items):
            ax = fig.add_axes((0.05 + i * cell, y0, cell * 0.92, height))
            pixels = np.asarray(Image.open(io.BytesIO(store.read_blob(item.digest)[1])))
            ax.imshow(pixels, interpolation="nearest", cmap="gray" if pixels.ndim == 2 else None)
            ax.set_xticks([])
            ax.set_yticks([])
            label = f"step {item.step}" + (f"\n{item.caption[:24]}" if item.caption else "")
            ax.set_title(label, fontsize=7)
            if i == 0:
                ax.set_ylabel(run.name[:18], fontsize=7)
            drawn += 1
    return drawn
