"""The six-panel figure: which panels, which lines, the best-eval mark, colours, smoothing,
styles and files; what a person sees, checked on the Figure and on the rendered files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from figure_support import TB_NAMES, make_run

from trainboard.analysis.colors import assign_colors, run_color
from trainboard.analysis.smoothing import moving_average
from trainboard.errors import UsageError
from trainboard.report import figure
from trainboard.report.drawing import figure_svg, parse_size, save_figure
from trainboard.store import open_store
from trainboard.store.base import Store

SIX = ["Loss", "Perplexity (exp of loss)", "Accuracy", "Learning rate", "Gradient norm",
       "Step time and throughput"]  # fmt: skip


@pytest.fixture
def db(sqlite_url: str) -> Store:
    s = open_store(sqlite_url)
    yield s
    s.close()


def titles(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]


def panel(fig, title: str):  # type: ignore[no-untyped-def]
    return next(ax for ax in fig.axes if ax.get_title(loc="left") == title)


def drawn(ax) -> list:  # type: ignore[no-untyped-def]
    """Lines with data (the best-eval star is a one-point line; vertical marks are 2 points)."""
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]


def test_six_panels_each_draw_their_lines_with_titles_and_axes(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one")
    fig = figure(run.id, db)
    assert titles(fig) == SIX
    for ax in fig.axes:
        if not ax.get_title(loc="left"):
            continue  # a twin axis
        assert ax.get_xlabel() == "step"
        assert ax.get_ylabel()
        assert drawn(ax), ax.get_title(loc="left")
    loss = panel(fig, "Loss")
    assert sorted(ln.get_label() for ln in drawn(loss)) == ["train/loss", "val/loss"]
    assert fig.get_suptitle() == "one (m)"


def test_best_eval_step_is_marked_from_the_summary(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one")
    best = run.summary["val/loss"]
    assert best.min_step == 600  # the eval loss is lowest at 60% of the run
    loss = panel(figure(run.id, db), "Loss")
    stars = [ln for ln in loss.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 1
    assert list(stars[0].get_xdata()) == [600] and list(stars[0].get_ydata()) == [best.min]
    assert "best val/loss 1 @ step 600" in stars[0].get_label()


def test_a_panel_the_run_lacks_is_left_out_and_the_grid_closes_up(db: Store) -> None:
    names = {"train": "loss", "lr": "learning_rate", "grad": "grad_norm"}  # no eval, no speed
    run = make_run(db, "aaaa00000001", "hf", names=names)
    fig = figure(run.id, db)
    assert titles(fig) == ["Loss", "Perplexity (exp of loss)", "Learning rate", "Gradient norm",
                           "Step time"]  # fmt: skip
    assert len(fig.axes) == 5  # 2×3 grid, the sixth cell removed
    only_loss = figure(run.id, db, panels=["loss", "accuracy"])
    assert titles(only_loss) == ["Loss"] and len(only_loss.axes) == 1


def test_roles_find_the_tensorboard_guide_names(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "tb", names=TB_NAMES)
    fig = figure(run.id, db)
    assert titles(fig) == SIX
    speed = panel(fig, "Step time and throughput")
    assert [ln.get_label() for ln in drawn(speed)] == ["Performance/step_time_ms"]
    twin = next(ax for ax in fig.axes if ax is not speed and ax.bbox.bounds == speed.bbox.bounds)
    assert [ln.get_label() for ln in drawn(twin)] == ["Performance/tokens_per_sec"]
    acc = panel(fig, "Accuracy")
    assert [ln.get_label() for ln in drawn(acc)] == ["Evaluation/hellaswag_accuracy"]


def test_several_runs_overlay_each_in_its_own_colour(db: Store) -> None:
    # the two ids hash to the same first-choice colour: the second in id order moves on
    a = make_run(db, "run00000000", "lr3e-4", seed=1)
    b = make_run(db, "run0000001c", "lr1e-3", seed=2)
    assert run_color(a.id) == run_color(b.id)
    fig = figure([a.id, b.id], db)
    loss = panel(fig, "Loss")
    by_label = {ln.get_label(): ln.get_color() for ln in drawn(loss)}
    assert by_label["lr3e-4 · train/loss"] == run_color(a.id)
    assert by_label["lr1e-3 · val/loss"] == assign_colors([a.id, b.id])[b.id]
    assert by_label["lr1e-3 · val/loss"] != by_label["lr3e-4 · train/loss"]
    assert fig.get_suptitle() == "2 runs: lr3e-4, lr1e-3"


def test_smooth_adds_a_moving_average_over_the_raw_line(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one")
    fig = figure(run.id, db, smooth=50)
    raw, avg = drawn(panel(fig, "Loss"))[:2]
    assert raw.get_alpha() < 1 and avg.get_label() == "train/loss"
    series = db.read_series(run.id, "train/loss")
    want = moving_average(series.steps, series.values, 50)
    np.testing.assert_allclose(avg.get_ydata(), want)
    np.testing.assert_allclose(raw.get_ydata(), series.values)
    lr = drawn(panel(fig, "Learning rate"))
    assert len(lr) == 1  # a schedule is not smoothed
    with pytest.raises(UsageError, match="smooth must be a positive number of steps, got 0"):
        figure(run.id, db, smooth=0)


def test_long_series_are_read_downsampled(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "long", n=20_000, eval_every=1000)
    fig = figure(run.id, db, max_points=500)
    for ax in fig.axes:
        for ln in drawn(ax):
            assert len(ln.get_xdata()) <= 500
    # with a moving average the average covers every point, then both are reduced
    smooth = figure(run.id, db, smooth=50, max_points=500)
    raw, avg = drawn(panel(smooth, "Loss"))[:2]
    assert len(avg.get_xdata()) <= 1000 and avg.get_xdata()[-1] == 19_999


def test_styles_sizes_and_errors(db: Store) -> None:
    run = make_run(db, "aaaa00000001", "one")
    dark = figure(run.id, db, style="dark", size=(8, 5), dpi=50)
    assert dark.get_facecolor()[:3] == pytest.approx((0x14 / 255, 0x18 / 255, 0x1D / 255))
    assert tuple(dark.get_size_inches()) == (8, 5) and dark.dpi == 50
    assert parse_size("12x7") == (12.0, 7.0)
    with pytest.raises(UsageError, match="size must be WIDTHxHEIGHT in inches, like 12x7"):
        parse_size("big")
    with pytest.raises(UsageError, match="style must be one of light, dark, got 'neon'"):
        figure(run.id, db, style="neon")


def test_files_png_pdf_svg_written_whole(db: Store, tmp_path: Path) -> None:
    run = make_run(db, "aaaa00000001", "one $x$")
    fig = figure(run.id, db)
    png = save_figure(fig, tmp_path / "dash.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    pdf = save_figure(fig, tmp_path / "dash.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    svg = save_figure(fig, tmp_path / "dash.svg")
    text = svg.read_text()
    assert "<svg" in text and "Gradient norm" in text and "one $x$ (m)" in text
    assert sorted(p.name for p in tmp_path.glob("*dash*")) == ["dash.pdf", "dash.png", "dash.svg"]
    inline = figure_svg(fig)
    assert inline.startswith("<svg") and "<?xml" not in inline
    with pytest.raises(UsageError, match=r"the name must end in \.png, \.pdf, \.svg"):
        save_figure(fig, tmp_path / "dash.jpg")


def test_pdf_page_renders_to_a_picture(  # pdftoppm: `make poppler`
    db: Store, tmp_path: Path
) -> None:
    run = make_run(db, "aaaa00000001", "one")
    save_figure(figure(run.id, db), tmp_path / "dash.pdf")
    pdf, page = str(tmp_path / "dash.pdf"), str(tmp_path / "page")
    subprocess.run(["pdftoppm", "-png", "-r", "40", pdf, page], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 5_000


def test_sdk_run_and_store_url_accepted(sqlite_url: str) -> None:
    import trainboard

    run = trainboard.init(project="p", name="live", store=sqlite_url)
    for i in range(20):
        run.log({"train/loss": 2.0 - i * 0.05, "lr": 1e-3}, step=i)
    fig = figure(run)  # flushes the run, reads its own store
    assert titles(fig)[:2] == ["Loss", "Perplexity (exp of loss)"]
    assert len(drawn(panel(fig, "Loss"))[0].get_xdata()) == 20
    run.finish()
