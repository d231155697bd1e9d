"""TensorBoard import on files from the real writers (torch's SummaryWriter and the
tensorboard package's own), checked against TensorBoard's own EventFileLoader: every point,
exact steps and wall times; histograms, text and hparams; re-import, growth, damage."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from torch.utils.tensorboard import SummaryWriter

from trainboard.errors import ImportFormatError, TrainboardWarning
from trainboard.integrations.tensorboard import import_logdir, run_id_for
from trainboard.integrations.tensorboard_events import event_files
from trainboard.store.base import Store


def _tb_scalars(folder: Path) -> dict[str, list[tuple[int, float, float]]]:
    """Every scalar in `folder` as TensorBoard's own loader reads it (tag -> points)."""
    from tensorboard.util import tensor_util

    out: dict[str, list[tuple[int, float, float]]] = {}
    for name in event_files(str(folder)):
        for ev in EventFileLoader(str(folder / name)).Load():
            for v in ev.summary.value:
                if v.metadata.plugin_data.plugin_name == "scalars":
                    x = float(tensor_util.make_ndarray(v.tensor).item())
                    out.setdefault(v.tag, []).append((ev.step, ev.wall_time, x))
    return out


def _points(store: Store, folder: Path, key: str) -> list[tuple[int, float, float]]:
    s = store.read_series(run_id_for(str(folder)), key)
    return list(zip(s.steps.tolist(), s.times.tolist(), s.values.tolist(), strict=True))


def _same(got: list[tuple[int, float, float]], want: list[tuple[int, float, float]]) -> bool:
    """Steps and values exact; wall times to the microsecond the store keeps."""
    want = sorted(want)
    return len(got) == len(want) and all(
        gs == ws and gv == wv and abs(gt - wt) <= 1e-6
        for (gs, gt, gv), (ws, wt, wv) in zip(got, want, strict=True)
    )


@pytest.fixture
def torch_logs(tmp_path: Path) -> Path:
    logdir = tmp_path / "runs"
    w = SummaryWriter(str(logdir / "exp1"))
    for i in range(300):
        w.add_scalar("Loss/train", 2.0 / (i + 1), i * 10)
        if i % 100 == 0:
            w.add_scalar("Loss/validation", 3.0 / (i + 1), i * 10)
            w.add_histogram("weights/fc", np.arange(1000, dtype=np.float64) / 10, i * 10)
            w.add_text("samples", f"step {i * 10}: once upon a time", i * 10)
    w.add_hparams({"lr": 0.001, "batch_size": 64, "optim": "adamw"}, {"hparam/accuracy": 0.8})
    w.close()
    return logdir


def test_torch_summary_writer_logs_come_in_whole(store: Store, torch_logs: Path) -> None:
    results = import_logdir(store, str(torch_logs))
    assert sorted(r.name for r in results) == ["exp1", f"exp1/{_sub(torch_logs)}"]
    exp1 = torch_logs / "exp1"
    want = _tb_scalars(exp1)
    assert len(want["Loss/train"]) == 300
    for key, points in want.items():
        assert _same(_points(store, exp1, key), points)  # every point, exact
    run = store.get_run(run_id_for(str(exp1)))
    assert (run.project, run.name, run.status) == ("runs", "exp1", "finished")
    [h0, h1, h2] = store.read_histograms(run.id)
    assert (h0.key, h0.step, h1.step, h2.step) == ("weights/fc", 0, 1000, 2000)
    assert h0.count == 1000 and h0.min == 0.0 and h0.max == pytest.approx(99.9)
    texts = store.read_texts(run.id)
    assert [(t.key, t.step, t.text) for t in texts][0] == (
        "samples/text_summary",  # the tag torch writes (and TensorBoard shows)
        0,
        "step 0: once upon a time",
    )
    hp = store.get_run(run_id_for(str(exp1 / _sub(torch_logs))))
    assert hp.config == {"lr": 0.001, "batch_size": 64, "optim": "adamw"}
    assert _points(store, exp1 / _sub(torch_logs), "hparam/accuracy")[0][2] == pytest.approx(0.8)


def _sub(logdir: Path) -> str:
    return next(p.name for p in (logdir / "exp1").iterdir() if p.is_dir())


def test_tensorboard_packages_own_writer_tf2_tensor_scalars(store: Store, tmp_path: Path) -> None:
    from tensorboard.summary import Writer

    logdir = tmp_path / "tb"
    w = Writer(str(logdir))
    for i in range(50):
        w.add_scalar("eval/loss", 1.5 - i * 0.01, step=i * 2)
    w.close()
    [r] = import_logdir(store, str(logdir), project="p")
    assert (r.name, r.points) == ("tb", 50)
    assert _same(_points(store, logdir, "eval/loss"), _tb_scalars(logdir)["eval/loss"])


def test_reimport_adds_nothing_and_growth_only_what_is_new(store: Store, tmp_path: Path) -> None:
    logdir = tmp_path / "grow"
    w = SummaryWriter(str(logdir))
    for i in range(100):
        w.add_scalar("loss", float(i), i)
    w.flush()
    assert [r.points for r in import_logdir(store, str(logdir))] == [100]
    assert [r.points for r in import_logdir(store, str(logdir))] == [0]
    for i in range(100, 150):
        w.add_scalar("loss", float(i), i)
    w.add_text("note", "later", 149)
    w.close()
    [again] = import_logdir(store, str(logdir))
    assert (again.points, again.texts) == (50, 1)
    s = store.read_series(run_id_for(str(logdir)), "loss")
    assert s.steps.tolist() == list(range(150)) and s.total == 150
    assert len(store.read_texts(run_id_for(str(logdir)))) == 1


def test_torn_and_damaged_files_import_up_to_the_damage_with_one_warning(
    store: Store, torch_logs: Path, tmp_path: Path
) -> None:
    src = torch_logs / "exp1"
    [name] = event_files(str(src))
    data = (src / name).read_bytes()
    torn = tmp_path / "torn" / "run"
    torn.mkdir(parents=True)
    (torn / name).write_bytes(data[: len(data) - 7])  # cut inside the last record
    with pytest.warns(TrainboardWarning) as caught:
        [r] = import_logdir(store, str(tmp_path / "torn"))
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "the last record is incomplete" in messages[0]
    assert r.points > 0 and store.get_run(r.run_id).status == "crashed"

    bad = tmp_path / "bad" / "run"
    bad.mkdir(parents=True)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (bad / name).write_bytes(bytes(flipped))
    with pytest.warns(TrainboardWarning, match=r"fails its checksum at byte [\d,]+; imported"):
        [b] = import_logdir(store, str(tmp_path / "bad"))
    assert 0 < b.points < 300 + 3


def test_a_folder_that_is_not_tensorboards_is_refused(store: Store, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImportFormatError, match=r"no TensorBoard event files \(files named"):
        import_logdir(store, str(tmp_path))
    with pytest.raises(ImportFormatError, match=r"nope: no such folder"):
        import_logdir(store, str(tmp_path / "nope"))


def test_import_from_the_command_line(tb_home: str, torch_logs: Path) -> None:
    import subprocess
    import sys

    env = dict(os.environ)
    cmd = [sys.executable, "-m", "trainboard", "import", "tensorboard", str(torch_logs)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "imported exp1 (" in first.stdout and "2 of 2 runs had something new" in first.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert "0 of 2 runs had something new (0 points)" in again.stdout
    shutil.rmtree(torch_logs)
    torch_logs.mkdir()
    gone = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert gone.returncode != 0 and "no TensorBoard event files" in gone.stdout + gone.stderr


def test_batched_decoding_agrees_with_tensorboard_on_odd_steps_and_tags(
    store: Store, tmp_path: Path
) -> None:
    """Steps that protobuf encodes oddly (0 left out, 127/128 either side of a varint byte,
    2**40, negative ones in ten bytes) and tags of several lengths, in a file big enough for
    the numpy path: the points are TensorBoard's, exactly."""
    logdir = tmp_path / "odd"
    w = SummaryWriter(str(logdir))
    steps = [-3, 0, 1, 127, 128, 2**40]
    tags = ["a", "Loss/über-train", "x" * 100]
    for i in range(120):
        for j, tag in enumerate(tags):
            w.add_scalar(tag, float(i * 10 + j), steps[i % len(steps)] + i * 1000)
    w.close()
    import_logdir(store, str(logdir))
    want = _tb_scalars(logdir)
    assert sorted(want) == sorted(tags)
    for tag in tags:
        got = _points(store, logdir, tag)
        assert len(got) == 120
        assert sorted((s, v) for s, _, v in got) == sorted((s, v) for s, _, v in want[tag])
        assert _same(got, want[tag])


def test_images_and_audio_come_in_as_media_bytes_as_written(store: Store, tmp_path: Path) -> None:
    import io

    import torch
    from PIL import Image as PILImage

    logdir = tmp_path / "media"
    w = SummaryWriter(str(logdir / "exp"))
    pixels = (np.arange(3 * 4 * 5) * 4 % 256).astype(np.uint8).reshape(3, 4, 5)  # C H W
    for step in (0, 10):
        w.add_image("samples", pixels, step)
    w.add_images("batch", np.stack([pixels, 255 - pixels]), 10)
    w.add_audio("speech", torch.zeros(1, 800), 10, sample_rate=8000)
    w.close()
    [r] = import_logdir(store, str(logdir))
    assert r.media == 4 and not r.left_out
    kinds = {(k.key, k.kind, k.count, tuple(k.steps)) for k in store.media_keys(r.run_id)}
    assert kinds == {
        ("samples", "image", 2, (0, 10)),
        ("batch", "image", 1, (10,)),  # torch writes a batch as one grid image
        ("speech", "audio", 1, (10,)),
    }
    first = store.read_media(r.run_id, "samples")[0]
    assert (first.mime, first.width, first.height) == ("image/png", 5, 4)
    got = np.asarray(PILImage.open(io.BytesIO(store.read_blob(first.digest)[1])))
    assert np.array_equal(got, pixels.transpose(1, 2, 0))  # the pixels torch wrote
    (sound,) = store.read_media(r.run_id, "speech")
    assert sound.mime == "audio/wav" and store.read_blob(sound.digest)[1][:4] == b"RIFF"
    [again] = import_logdir(store, str(logdir))
    assert again.media == 0  # a re-import adds nothing
