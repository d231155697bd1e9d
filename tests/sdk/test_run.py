"""Run round trips through the real SQLite store, and the exact errors of bad input."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import trainboard
from trainboard import settings
from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store import open_store


def _series(run_id: str, key: str, url: str | None = None) -> list[tuple[int, float]]:
    with open_store(url) as s:
        got = s.read_series(run_id, key)
    return list(zip(got.steps.tolist(), got.values.tolist(), strict=True))


def test_round_trip_of_every_kind_of_data(tb_home: str, tmp_path: Path) -> None:
    run = trainboard.init(
        project="qwen-sft",
        name="lr3e-5",
        model="Qwen/Qwen2.5-7B-Instruct",
        config={"lr": 3e-5, "batch_size": 32, "path": Path("/data")},
        total_steps=2000,
        tags=["sweep-1"],
    )
    assert len(run.id) == 12 and int(run.id, 16) >= 0 and run.id == run.id.lower()
    run.log({"train/loss": 2.31, "lr": 3e-5, "grad_norm": 0.12, "tokens": 81920}, step=20)
    run.log({"train/loss": 2.0, "flag": True, "np": np.float32(0.5), "t": torch.tensor(1.5)})
    run.log_text("samples", "Once upon a time", step=20)
    run.log_histogram("weights/layer0", [1.0, 2.0, 2.0, 3.0], step=21)
    ckpt = tmp_path / "step_2000.pt"
    ckpt.write_bytes(b"w" * 1234)
    rel = run.log_artifact(ckpt, kind="checkpoint", step=2000)
    run.finish()

    assert _series(run.id, "train/loss") == [(20, 2.31), (21, 2.0)]
    assert _series(run.id, "tokens") == [(20, 81920.0)]
    assert _series(run.id, "flag") == [(21, 1.0)]
    assert _series(run.id, "np") == [(21, 0.5)]
    assert _series(run.id, "t") == [(21, 1.5)]
    with open_store() as s:
        rec = s.get_run(run.id)
        assert (rec.project, rec.name, rec.model) == ("qwen-sft", "lr3e-5", rec.model)
        assert rec.model == "Qwen/Qwen2.5-7B-Instruct"
        assert rec.config == {"lr": 3e-5, "batch_size": 32, "path": "/data"}
        assert rec.tags == ["sweep-1"] and rec.total_steps == 2000
        assert rec.status == "finished" and rec.finished_at is not None
        assert rec.host == os.uname().nodename and rec.pid == os.getpid()
        assert rec.last_step == 21
        [text] = s.read_texts(run.id)
        assert (text.key, text.step, text.text) == ("samples", 20, "Once upon a time")
        [hist] = s.read_histograms(run.id)
        assert (hist.key, hist.step, hist.count, hist.min, hist.max) == (
            "weights/layer0",
            21,
            4,
            1.0,
            3.0,
        )
        assert len(hist.counts) == 64 and sum(hist.counts) == 4 and len(hist.edges) == 65
        [art] = s.list_artifacts(run.id)
    assert (art.name, art.kind, art.step, art.size) == ("step_2000.pt", "checkpoint", 2000, 1234)
    assert art.path == rel == f"{run.id}/step_2000.pt"
    kept = settings.artifacts_dir(settings.store_url()) / art.path
    assert kept.read_bytes() == b"w" * 1234


def test_step_defaults_to_previous_plus_one_and_summary_is_last_value(tb_home: str) -> None:
    run = trainboard.init(project="p")
    assert run.step == -1
    run.log({"loss": 3.0})
    run.log({"loss": 2.0}, step=10)
    run.log({"loss": 1.0, "acc": 0.5})
    assert run.step == 11
    assert run.summary == {"loss": 1.0, "acc": 0.5}
    run.finish()
    assert _series(run.id, "loss") == [(0, 3.0), (10, 2.0), (11, 1.0)]


def test_nan_and_inf_are_stored(tb_home: str) -> None:
    with trainboard.init(project="p") as run:
        run.log({"x": math.nan})
        run.log({"x": math.inf})
        run.log({"x": -math.inf})
    got = _series(run.id, "x")
    assert [s for s, _ in got] == [0, 1, 2]
    assert math.isnan(got[0][1]) and got[1][1] == math.inf and got[2][1] == -math.inf


@pytest.mark.parametrize(
    ("data", "step", "error", "message"),
    [
        ({"train/loss": "2.3"}, None, TypeError, "log(): 'train/loss' must be a number, got str"),
        ({"a": None}, None, TypeError, "log(): 'a' must be a number, got NoneType"),
        ({"a": [1.0]}, None, TypeError, "log(): 'a' must be a number, got list"),
        ({"a": 1 + 2j}, None, TypeError, "log(): 'a' must be a number, got complex"),
        (
            {"w": np.zeros(3)},
            None,
            TypeError,
            "log(): 'w' must be a number, got ndarray with 3 elements "
            "(log a scalar, e.g. .mean(), or use log_histogram())",
        ),
        (
            {"w": torch.zeros(2, 2)},
            None,
            TypeError,
            "log(): 'w' must be a number, got Tensor with 4 elements "
            "(log a scalar, e.g. .mean(), or use log_histogram())",
        ),
        ({"": 1.0}, None, ValueError, "log(): keys must be non-empty strings, got ''"),
        ({3: 1.0}, None, TypeError, "log(): keys must be non-empty strings, got int 3"),
        ({"a": 1.0}, -1, ValueError, "log(): step must be a non-negative int, got -1"),
        ({"a": 1.0}, 1.5, TypeError, "log(): step must be a non-negative int, got float"),
        ({"a": 1.0}, True, TypeError, "log(): step must be a non-negative int, got bool"),
        ({"a": 1.0}, "3", TypeError, "log(): step must be a non-negative int, got str"),
        (
            {"a": 1.0},
            2**63,
            ValueError,
            f"log(): step must fit in int64 (at most 2**63 - 1), got {2**63}",
        ),
        (
            {"a": 1.0},
            np.uint64(2**64 - 1),
            ValueError,
            f"log(): step must fit in int64 (at most 2**63 - 1), got {2**64 - 1}",
        ),
        (
            {"a": 10**400},
            None,
            ValueError,
            "log(): 'a' = 100000000000...(401 digits) is too large for a float64 "
            "(at most ~1.8e308); log a float or its logarithm",
        ),
        (
            {"a": torch.tensor(1.0), "b": 10**400},
            None,
            ValueError,
            "log(): 'b' = 100000000000...(401 digits) is too large for a float64 "
            "(at most ~1.8e308); log a float or its logarithm",
        ),
        (
            {"bad\ud800key": 1.0},
            None,
            ValueError,
            "log(): key 'bad\\ud800key' is not valid UTF-8 (lone surrogate '\\ud800' at index 3)",
        ),
        (
            {"nul\x00": 1.0},
            None,
            ValueError,
            "log(): key 'nul\\x00' holds a NUL character at index 3",
        ),
        (
            {"k" * 1100: 1.0},
            None,
            ValueError,
            "log(): key '" + "k" * 49 + "...kkkkkk' is 1100 bytes in UTF-8 (at most 1024)",
        ),
        (
            [("a", 1.0)],
            None,
            TypeError,
            "log(): expected a dict of metric name -> number, got list",
        ),
    ],
)
def test_bad_log_input_raises_a_clear_error_and_stores_nothing(
    tb_home: str, data: Any, step: Any, error: type[Exception], message: str
) -> None:
    run = trainboard.init(project="p")
    good_first = {"good": 1.0, **data} if isinstance(data, dict) else data
    with pytest.raises(error) as info:
        run.log(good_first, step=step)
    assert str(info.value) == message
    run.log({"after": 1.0})  # the bad call did not advance the step counter either
    run.finish()
    with open_store() as s:
        assert s.metric_keys(run.id) == ["after"]
    assert _series(run.id, "after") == [(0, 1.0)]


def test_numpy_steps_are_accepted(tb_home: str) -> None:
    with trainboard.init(project="p") as run:
        run.log({"a": 1.0}, step=np.int64(7))
    assert _series(run.id, "a") == [(7, 1.0)]


def test_bad_text_histogram_artifact_and_metric_input(tb_home: str, tmp_path: Path) -> None:
    run = trainboard.init(project="p")
    with pytest.raises(TypeError, match=r"^log_text\(\): 'samples' must be a str, got int$"):
        run.log_text("samples", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^log_histogram\(\): 'w' has no values$"):
        run.log_histogram("w", [])
    with pytest.raises(TypeError, match=r"^log_histogram\(\): 'w' must be a list of numbers"):
        run.log_histogram("w", ["a", object()])
    missing = tmp_path / "nope.pt"
    with pytest.raises(UsageError, match=r"log_artifact\(\): no file or folder at .*nope.pt"):
        run.log_artifact(missing)
    with pytest.raises(ValueError, match=r"^define_metric\(\): goal must be 'min' or 'max'"):
        run.define_metric("acc", goal="up")
    run.finish()
    with open_store() as s:
        assert s.read_texts(run.id) == [] and s.read_histograms(run.id) == []
        assert s.list_artifacts(run.id) == [] and s.get_run(run.id).goals == {}


def test_strings_no_store_can_keep_are_refused_at_the_call(tb_home: str) -> None:
    with pytest.raises(ValueError, match=r"^init\(\): name 'a\\x00b' holds a NUL character"):
        trainboard.init(project="p", name="a\x00b")
    with pytest.raises(ValueError, match=r"^init\(\): project 'p\\udc80' is not valid UTF-8"):
        trainboard.init(project="p\udc80")
    with pytest.raises(ValueError, match=r"^init\(\): model 'ééé.* is 1200 bytes in UTF-8"):
        trainboard.init(project="p", model="é" * 600)
    with pytest.raises(ValueError, match=r"^init\(\): tag 'x\\x00' holds a NUL"):
        trainboard.init(project="p", tags=["ok", "x\x00"])
    with pytest.raises(ValueError, match=r"^init\(\): config\['opt'\]\['name'\] '\\ud800'"):
        trainboard.init(project="p", config={"opt": {"name": "\ud800"}})
    with pytest.raises(ValueError, match=r"^init\(\): config\['n'\] = 1000.* does not fit"):
        trainboard.init(project="p", config={"n": 10**400})
    run = trainboard.init(project="p")
    with pytest.raises(ValueError, match=r"^log_text\(\): the text of 's' 'model\\x00out'"):
        run.log_text("s", "model\x00out")
    with pytest.raises(ValueError, match=r"^update_config\(\)|^init\(\): config\['a'\]"):
        run.update_config({"a": "\udfff"})
    run.log_text("s", "fine")
    run.finish()
    with open_store() as s:
        assert [t.text for t in s.read_texts(run.id)] == ["fine"]
        assert s.get_run(run.id).config == {}


def test_bad_init_arguments(tb_home: str) -> None:
    with pytest.raises(UsageError, match=r"^init\(\): total_steps must be a positive int, got 0"):
        trainboard.init(project="p", total_steps=0)
    with pytest.raises(UsageError, match=r"^init\(\): tags must be a list of non-empty str"):
        trainboard.init(project="p", tags="sweep")
    with pytest.raises(UsageError, match=r"^init\(\): project must be a non-empty str, got 3"):
        trainboard.init(project=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^init\(\): config must be a dict"):
        trainboard.init(project="p", config=[1, 2])


def test_histograms_of_numpy_arrays_and_tensors_with_nonfinite_values(tb_home: str) -> None:
    with trainboard.init(project="p") as run:
        run.log_histogram("np", np.arange(100, dtype=np.float32), step=1)
        run.log_histogram("torch", torch.tensor([[0.0, 1.0], [math.nan, math.inf]]), step=2)
    with open_store() as s:
        by_key = {h.key: h for h in s.read_histograms(run.id)}
    assert by_key["np"].count == 100 and sum(by_key["np"].counts) == 100
    assert by_key["np"].sum == float(sum(range(100)))
    t = by_key["torch"]
    assert (t.count, sum(t.counts), t.min, t.max) == (4, 2, 0.0, 1.0)


def test_artifacts_never_overwrite_each_other_and_folders_are_kept(
    tb_home: str, tmp_path: Path
) -> None:
    f = tmp_path / "latest.pt"
    folder = tmp_path / "checkpoint-500"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"m" * 10)
    (folder / "config.json").write_text("{}")
    with trainboard.init(project="p") as run:
        f.write_bytes(b"1")
        first = run.log_artifact(f, step=1)
        f.write_bytes(b"22")  # the script overwrites its checkpoint: the kept copy stays
        second = run.log_artifact(f, step=2)
        third = run.log_artifact(f, step=2)
        whole = run.log_artifact(folder, kind="checkpoint", step=500)
    assert [first, second, third] == [
        f"{run.id}/latest.pt",
        f"{run.id}/latest-step2.pt",
        f"{run.id}/latest-2.pt",
    ]
    root = settings.artifacts_dir(settings.store_url())
    assert (root / first).read_bytes() == b"1" and (root / second).read_bytes() == b"22"
    with open_store() as s:
        sizes = {a.path: a.size for a in s.list_artifacts(run.id)}
    assert sizes[str(whole)] == 12 and (root / str(whole) / "model.bin").exists()


def test_artifact_by_reference_records_the_absolute_path_and_copies_nothing(
    tb_home: str, tmp_path: Path
) -> None:
    folder = tmp_path / "checkpoint-30"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"m" * 100)
    with trainboard.init(project="p") as run:
        got = run.log_artifact(folder, kind="checkpoint", step=30, copy=False)
    assert got == folder.resolve().as_posix()
    with open_store() as s:
        [art] = s.list_artifacts(run.id)
    assert (art.name, art.kind, art.step, art.size, art.path) == (
        "checkpoint-30",
        "checkpoint",
        30,
        100,
        folder.resolve().as_posix(),
    )
    assert not (settings.artifacts_dir(settings.store_url()) / run.id).exists()


def test_total_steps_can_be_set_after_init(tb_home: str) -> None:
    with trainboard.init(project="p") as run:
        run.log({"loss": 1.0}, step=1)
        run.total_steps = 300
        with pytest.raises(
            UsageError, match=r"Run.total_steps must be a positive int or None, got 0"
        ):
            run.total_steps = 0
    assert run.total_steps == 300
    with open_store() as s:
        assert s.get_run(run.id).total_steps == 300


def test_module_level_api_acts_on_the_current_run(tb_home: str) -> None:
    with pytest.raises(UsageError, match=r"trainboard.log\(\): no active run; call"):
        trainboard.log({"a": 1.0})
    run = trainboard.init(project="p", name="current")
    assert trainboard.current_run() is run
    trainboard.log({"val/acc": 0.5})
    trainboard.log({"val/acc": 0.75})
    trainboard.log_text("s", "hi")
    trainboard.log_histogram("h", [1.0, 2.0])
    trainboard.define_metric("val/acc", goal="max")
    trainboard.finish()
    assert trainboard.current_run() is None
    assert run.finished
    trainboard.finish()  # no current run: nothing to do
    with open_store() as s:
        rec = s.get_run(run.id)
        assert rec.goals == {"val/acc": "max"} and rec.status == "finished"
        assert [t.step for t in s.read_texts(run.id)] == [1]
    assert _series(run.id, "val/acc") == [(0, 0.5), (1, 0.75)]


def test_log_after_finish_is_an_error(tb_home: str) -> None:
    run = trainboard.init(project="p")
    run.finish()
    run.finish()  # twice is fine
    with pytest.raises(UsageError, match=r"^log\(\): run [0-9a-f]{12} \(.+\) is finished"):
        run.log({"a": 1.0})


def test_context_manager_records_failure_with_the_exception_text(tb_home: str) -> None:
    with pytest.raises(RuntimeError), trainboard.init(project="p") as run:
        run.log({"a": 1.0})
        raise RuntimeError("out of memory at step 0")
    with open_store() as s:
        rec = s.get_run(run.id)
    assert rec.status == "failed" and rec.notes == "RuntimeError: out of memory at step 0"
    assert _series(run.id, "a") == [(0, 1.0)]


def test_context_manager_keyboard_interrupt_is_killed(tb_home: str) -> None:
    with pytest.raises(KeyboardInterrupt), trainboard.init(project="p") as run:
        raise KeyboardInterrupt
    with open_store() as s:
        assert s.get_run(run.id).status == "killed"


def test_resume_continues_the_timeline_and_merges_config(tb_home: str) -> None:
    first = trainboard.init(project="p", name="long", config={"lr": 1e-3, "seed": 1})
    for step in range(10):
        first.log({"loss": float(step)})
    first.finish("failed", notes="preempted")

    run = trainboard.init(resume=first.id, config={"lr": 5e-4})
    assert run.id == first.id and run.name == "long" and run.step == 9
    assert run.config == {"lr": 5e-4, "seed": 1}
    assert run.summary == {"loss": 9.0}
    run.log({"loss": 100.0}, step=8)  # a checkpoint from step 7: re-logged steps win
    run.log({"loss": 101.0})
    run.finish()
    with open_store() as s:
        rec = s.get_run(run.id)
    assert rec.status == "finished" and rec.notes is None and rec.last_step == 9
    assert rec.config == {"lr": 5e-4, "seed": 1}
    got = _series(run.id, "loss")
    assert [s for s, _ in got] == list(range(10))
    assert got[7] == (7, 7.0) and got[8] == (8, 100.0) and got[9] == (9, 101.0)


def test_resume_of_an_unknown_run(tb_home: str) -> None:
    with pytest.raises(RunNotFoundError, match="no run with id 'abcdefabcdef'"):
        trainboard.init(resume="abcdefabcdef")


def test_a_rank_other_than_zero_validates_but_stores_nothing(
    tb_home: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    run = trainboard.init(project="p", name="ddp")
    assert not run.enabled
    run.log({"loss": 1.0})
    run.log_text("s", "x")
    run.log_histogram("h", [1.0])
    (tmp_path / "f").write_text("x")
    assert run.log_artifact(tmp_path / "f") is None
    with pytest.raises(TypeError, match=r"^log\(\): 'loss' must be a number, got str$"):
        run.log({"loss": "bad"})
    run.finish()
    assert not (Path(tb_home) / "trainboard.db").exists()  # not even opened


def test_all_ranks_makes_one_run_per_rank(tb_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("TRAINBOARD_ALL_RANKS", "1")
    with trainboard.init(project="p", name="ddp", config={"lr": 1.0}) as run:
        run.log({"loss": 1.0})
    with open_store() as s:
        rec = s.get_run(run.id)
    assert rec.name == "ddp-rank3" and rec.config == {"lr": 1.0, "rank": 3}
    assert _series(run.id, "loss") == [(0, 1.0)]


def test_explicit_store_url_wins(tb_home: str, sqlite_url: str) -> None:
    with trainboard.init(project="p", store=sqlite_url) as run:
        run.log({"a": 1.0})
    assert _series(run.id, "a", sqlite_url) == [(0, 1.0)]
    assert not (Path(tb_home) / "trainboard.db").exists()


def test_default_names_are_readable_and_distinct(tb_home: str) -> None:
    runs = [trainboard.init(project="p") for _ in range(3)]
    for r in runs:
        r.finish()
    names = [r.name for r in runs]
    assert len(set(names)) == 3
    for r in runs:
        adjective, noun, tail = r.name.split("-")
        assert adjective.isalpha() and noun.isalpha() and tail == r.id[:4]


def test_round_trip_on_both_engines(tb_home: str, store_url: str) -> None:
    with trainboard.init(project="p", store=store_url, config={"lr": 0.1}) as run:
        run.log({"loss": 2.0, "np0d": np.array(3.0), "npbool": np.bool_(True)})
        run.log({"loss": math.nan})
        run.log_text("s", "x")
        run.define_metric("loss", "min")
    with open_store(store_url) as s:
        rec = s.get_run(run.id)
        assert rec.status == "finished" and rec.goals == {"loss": "min"}
        assert rec.config == {"lr": 0.1} and [t.text for t in s.read_texts(run.id)] == ["x"]
    got = _series(run.id, "loss", store_url)
    assert got[0] == (0, 2.0) and got[1][0] == 1 and math.isnan(got[1][1])
    assert _series(run.id, "np0d", store_url) == [(0, 3.0)]
    assert _series(run.id, "npbool", store_url) == [(0, 1.0)]


def test_config_from_a_dataclass_or_namespace_is_kept_as_json(tb_home: str) -> None:
    import argparse
    import dataclasses

    @dataclasses.dataclass
    class Train:
        lr: float = 1e-3
        layers: tuple[int, ...] = (2, 4)
        dtype: object = torch.bfloat16

    with trainboard.init(project="p", config=Train()) as a:
        pass
    ns = argparse.Namespace(lr=np.float32(0.5), steps=np.int64(10), out=Path("/x"))
    with trainboard.init(project="p", config=ns) as b:
        b.update_config({"extra": {"k": [1, 2]}})
    with open_store() as s:
        assert s.get_run(a.id).config == {"lr": 1e-3, "layers": [2, 4], "dtype": "torch.bfloat16"}
        assert s.get_run(b.id).config == {
            "lr": 0.5,
            "steps": 10,
            "out": "/x",
            "extra": {"k": [1, 2]},
        }


def test_store_argument_takes_a_path_and_rejects_unknown_schemes(
    tb_home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with trainboard.init(project="p", store="here.db") as run:
        run.log({"a": 1.0})
    assert run.store_url == f"sqlite:///{tmp_path / 'here.db'}"
    assert _series(run.id, "a", run.store_url) == [(0, 1.0)]
    with pytest.raises(UsageError, match=r"^init\(\): store must start with sqlite:/// or"):
        trainboard.init(project="p", store="mysql://x/y")
    monkeypatch.setenv("TRAINBOARD_URL", "localhost:8000")
    with pytest.raises(UsageError, match=r"^TRAINBOARD_URL must be an http:// or https:// URL"):
        trainboard.init(project="p")


def test_define_metric_role_is_stored_and_kept_on_resume(tb_home: str) -> None:
    from trainboard.roles import role_of

    run = trainboard.init(project="p")
    run.define_metric("hellaswag", role="quality")
    run.define_metric("heldout_nll", role="eval_loss", goal="min")
    with pytest.raises(ValueError, match=r"^define_metric\(\): role must be one of train_loss"):
        run.define_metric("x", role="val_loss")
    run.define_metric("x")  # as in wandb, naming a metric alone defines nothing
    run.log({"hellaswag": 0.25, "heldout_nll": 2.0})
    run.finish()
    again = trainboard.init(project="p", resume=run.id)
    again.define_metric("extra", goal="max")
    again.finish()
    with open_store() as s:
        goals = s.get_run(run.id).goals
    assert goals == {"hellaswag": "quality", "heldout_nll": "eval_loss:min", "extra": "max"}
    assert role_of("heldout_nll", goals).role == "eval_loss"
    assert role_of("hellaswag", goals).goal == "max"
