"""trainboard.Image, Audio, Video and Table through log() into a real SQLite store: every
source (numpy, torch, PIL, matplotlib, a path, bytes) comes back pixel for pixel; the caps
raise at log() naming the key and lose nothing else; bad input is refused where it entered."""

from __future__ import annotations

import io
import math
import wave
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image as PILImage

import trainboard
from trainboard.errors import UsageError
from trainboard.store import open_store
from trainboard.store.mediarecords import MediaRecord

matplotlib.use("Agg")


def _pixels(data: bytes) -> np.ndarray[Any, Any]:
    return np.asarray(PILImage.open(io.BytesIO(data)))


def _items(run_id: str, key: str) -> list[tuple[MediaRecord, bytes]]:
    with open_store() as s:
        return [(r, s.read_blob(r.digest)[1]) for r in s.read_media(run_id, key)]


def _rgb(h: int = 6, w: int = 7) -> np.ndarray[Any, Any]:
    return (np.arange(h * w * 3).reshape(h, w, 3) * 7 % 256).astype(np.uint8)


def test_images_from_every_source_come_back_pixel_for_pixel(tb_home: str, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    rgb = _rgb()
    png = tmp_path / "x.png"
    PILImage.fromarray(rgb).save(png)
    grey16 = (np.arange(20).reshape(4, 5) * 3000).astype(np.uint16)
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [1, 0])
    run = trainboard.init(project="media", name="images")
    sources = [
        trainboard.Image(rgb, caption="numpy"),
        trainboard.Image(torch.from_numpy(rgb.transpose(2, 0, 1).copy()), caption="torch CHW"),
        trainboard.Image(PILImage.fromarray(rgb), caption="PIL"),
        trainboard.Image(str(png), caption="path"),
        trainboard.Image(png.read_bytes(), caption="bytes"),
        trainboard.Image(rgb.astype(np.float32) / 255.0, caption="float"),
        trainboard.Image(grey16, caption="uint16"),
        trainboard.Image(fig, caption="figure"),
    ]
    rgb[:] = 0  # the caller's array changes after log(): what was logged stays
    run.log({"loss": 1.0, "samples": sources}, step=3)
    run.finish()
    plt.close(fig)
    got = _items(run.id, "samples")
    assert [r.caption for r, _ in got] == [
        "numpy",
        "torch CHW",
        "PIL",
        "path",
        "bytes",
        "float",
        "uint16",
        "figure",
    ]
    assert [r.index for r, _ in got] == list(range(8))
    expected = _rgb()
    for r, data in got[:6]:
        assert (r.kind, r.mime, r.width, r.height, r.step) == ("image", "image/png", 7, 6, 3)
        assert np.array_equal(_pixels(data), expected), r.caption
    assert got[3][1] == png.read_bytes() and got[4][1] == png.read_bytes()  # kept as they are
    assert len({r.digest for r, _ in got[:5]}) <= 3  # the same PNG bytes are one digest
    assert np.array_equal(_pixels(got[6][1]), grey16)  # 16 bits kept
    assert (got[7][0].width, got[7][0].height) == (100, 50)
    with open_store() as s:
        assert s.read_series(run.id, "loss").values.tolist() == [1.0]


def test_audio_video_and_a_table_with_media_cells(tb_home: str) -> None:
    samples = np.sin(np.arange(800) / 5).astype(np.float32)
    frames = np.stack([np.full((3, 4, 4), i * 50, np.uint8) for i in range(3)])  # T C H W
    table = trainboard.Table(columns=["prompt", "answer", "score", "image"])
    table.add_data("2+2?", "4", 1.0, trainboard.Image(_rgb()))
    table.add_data("capital of France?", "Paris", math.nan, None)
    run = trainboard.init(project="media", name="mixed")
    run.log(
        {
            "speech": trainboard.Audio(samples, sample_rate=8000, caption="sine"),
            "clip": trainboard.Video(frames, fps=10),
            "answers": table,
        },
        step=1,
    )
    table.add_data("later row", "", 0.0, None)  # not in what was logged
    run.finish()
    ((audio, wav_bytes),) = _items(run.id, "speech")
    assert (audio.kind, audio.mime, audio.meta) == (
        "audio",
        "audio/wav",
        {"sample_rate": 8000, "seconds": 0.1},
    )
    with wave.open(io.BytesIO(wav_bytes[:20] + b"\x01" + wav_bytes[21:])) as w:  # PCM to read
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (8000, 1, 800)
    assert np.array_equal(np.frombuffer(wav_bytes[44:], "<f4"), samples)  # every sample kept
    ((video, gif),) = _items(run.id, "clip")
    assert (video.kind, video.mime, video.meta) == (
        "video",
        "image/gif",
        {"frames": 3, "fps": 10.0},
    )
    assert PILImage.open(io.BytesIO(gif)).n_frames == 3
    df = trainboard.Api().run(run.id).table("answers")
    assert list(df.columns) == ["prompt", "answer", "score", "image"]
    assert df["prompt"].tolist() == ["2+2?", "capital of France?"]
    assert df["score"].iloc[0] == 1.0 and math.isnan(df["score"].iloc[1])
    assert np.array_equal(df["image"].iloc[0].numpy(), _rgb())


def test_over_the_item_cap_raises_at_log_naming_the_key_and_keeps_the_rest(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_MEDIA_MAX_MB", "0.01")  # 10 kB
    run = trainboard.init(project="media", name="caps")
    big = np.zeros((100, 100, 3), np.uint8)  # 30 kB of pixels
    with pytest.raises(
        UsageError,
        match=r"^log\(\): 'big': the image is 0\.0 MB, over the cap of 0\.0 MB per item "
        r"\(TRAINBOARD_MEDIA_MAX_MB\); log a smaller one, or raise the cap$",
    ):
        run.log({"loss": 0.5, "small": trainboard.Image(_rgb()), "big": trainboard.Image(big)})
    run.finish()
    assert [r.key for r, _ in _items(run.id, "small")] == ["small"]
    assert _items(run.id, "big") == []
    with open_store() as s:
        assert s.read_series(run.id, "loss").values.tolist() == [0.5]


def test_over_the_run_budget_raises_at_log(tb_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINBOARD_MEDIA_BUDGET_MB", "0.0005")  # 524 bytes
    run = trainboard.init(project="media", name="budget")
    run.log({"a": trainboard.Image(_rgb())})  # 126 bytes of pixels
    run.log({"a": trainboard.Image(_rgb())})
    with pytest.raises(UsageError, match=r"'a': this run's media would reach .* over its budget"):
        for _ in range(3):
            run.log({"a": trainboard.Image(_rgb())})
    run.finish()
    assert len(_items(run.id, "a")) == 4


def test_a_resumed_run_counts_its_stored_media_against_the_budget(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    buf = io.BytesIO()
    PILImage.fromarray(_rgb(20, 20)).save(buf, format="PNG")
    png = buf.getvalue()  # kept as it is: stored size == size as logged
    budget = 3.5 * len(png)
    monkeypatch.setenv("TRAINBOARD_MEDIA_BUDGET_MB", str(budget / (1 << 20)))
    run = trainboard.init(project="media", name="budget")
    run.log({"pic": trainboard.Image(png)})
    run.log({"pic": trainboard.Image(png)})
    run.finish()
    again = trainboard.init(project="media", resume=run.id)
    again.log({"pic": trainboard.Image(png)})  # 3 of 3.5
    with pytest.raises(
        UsageError, match=r"^log\(\): 'late': this run's media would reach .* over its budget"
    ):
        again.log({"late": trainboard.Image(png)})
    again.finish()
    assert len(_items(run.id, "pic")) == 3
    assert _items(run.id, "late") == []


def test_bad_media_is_refused_where_it_is_made(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"expected an HxW, HxWxC or CxHxW array .* got shape \(5,\)"
    ):
        trainboard.Image(np.zeros(5))
    with pytest.raises(UsageError, match=r"Image\(\): no file at '.*missing.png'"):
        trainboard.Image(str(tmp_path / "missing.png"))
    with pytest.raises(
        ValueError, match=r"Image\(\): the bytes are not a PNG, JPEG, GIF, WebP or BMP"
    ):
        trainboard.Image(b"hello")
    with pytest.raises(ValueError, match=r"Audio\(\): samples need sample_rate="):
        trainboard.Audio(np.zeros(10))
    with pytest.raises(TypeError, match=r"Image\(\): caption must be a str, got int"):
        trainboard.Image(_rgb(), caption=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Table.add_data\(\): expected 2 values"):
        trainboard.Table(columns=["a", "b"]).add_data(1)


def test_lossy_formats_only_when_asked(tb_home: str) -> None:
    run = trainboard.init(project="media", name="jpeg")
    run.log({"j": trainboard.Image(_rgb(32, 32), format="jpeg"), "p": trainboard.Image(_rgb())})
    run.finish()
    assert _items(run.id, "j")[0][0].mime == "image/jpeg"
    assert _items(run.id, "p")[0][0].mime == "image/png"


def test_finish_waits_for_media_that_are_still_being_written(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainboard.sdk import finish

    monkeypatch.setattr(finish, "FINISH_TIMEOUT", 0.01)  # far less than encoding them takes
    run = trainboard.init(project="media", name="slow")
    rng = np.random.default_rng(0)
    for step in range(40):
        run.log({"noise": trainboard.Image(rng.integers(0, 256, (128, 128, 3), np.uint8))}, step)
    finish.end(run, "finished", None, timeout=finish.FINISH_TIMEOUT)
    assert len(_items(run.id, "noise")) == 40  # none left in memory
