"""A real transformers Trainer on a tiny GPT-2 built from a config (no download, CPU) logs
through TrainboardCallback; the stored run is read back as the API and CLI would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from transformers import (  # noqa: E402
    GPT2Config,
    GPT2LMHeadModel,
    Trainer,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)

from trainboard.analysis.health import health_for  # noqa: E402
from trainboard.analysis.progress import progress_for  # noqa: E402
from trainboard.errors import UsageError  # noqa: E402
from trainboard.integrations.hf import TrainboardCallback  # noqa: E402
from trainboard.store import open_store  # noqa: E402
from trainboard.store.attempts import NAMESPACE as ATTEMPTS  # noqa: E402
from trainboard.store.attempts import attempts_of  # noqa: E402
from trainboard.store.queries import RunQuery  # noqa: E402

VOCAB = 32
SEQ = 16


class Counting(torch.utils.data.Dataset):  # type: ignore[misc]
    """Sequences that count up modulo VOCAB from a random start: easy to learn, so the loss
    falls within a few dozen steps."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        starts = torch.randint(0, VOCAB, (n, 1), generator=g)
        self.ids = (starts + torch.arange(SEQ)) % VOCAB

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def _model() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    cfg = GPT2Config(
        vocab_size=VOCAB,
        n_positions=SEQ,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(cfg)


def _args(out: Path, **kw: Any) -> TrainingArguments:
    base: dict[str, Any] = {
        "output_dir": str(out),
        "max_steps": 30,
        "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 16,
        "learning_rate": 3e-3,
        "warmup_steps": 3,
        "logging_steps": 2,
        "eval_strategy": "steps",
        "eval_steps": 10,
        "save_strategy": "steps",
        "save_steps": 10,
        "report_to": "none",
        "use_cpu": True,
        "disable_tqdm": True,
        "include_num_input_tokens_seen": True,
        "seed": 0,
        "run_name": "tiny-gpt2",
        "project": "hf-test",
    }
    base.update(kw)
    return TrainingArguments(**base)


def _trainer(args: TrainingArguments, callbacks: list[Any]) -> Trainer:
    return Trainer(
        model=_model(),
        args=args,
        train_dataset=Counting(400, seed=1),
        eval_dataset=Counting(32, seed=2),
        callbacks=callbacks,
    )


def _series(run_id: str, key: str) -> list[tuple[int, float]]:
    with open_store() as s:
        got = s.read_series(run_id, key)
    return list(zip(got.steps.tolist(), got.values.tolist(), strict=True))


def test_trainer_run_has_config_progress_eval_loss_checkpoints_and_verdict(
    tb_home: str, tmp_path: Path
) -> None:
    cb = TrainboardCallback(tags=["tiny"])
    trainer = _trainer(_args(tmp_path / "out", load_best_model_at_end=True), [cb])
    trainer.train()
    assert cb.run is None and cb.run_id is not None
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        assert run.id == cb.run_id
        arts = s.list_artifacts(run.id)
        prog = progress_for(s, run)
        health = health_for(s, run)
    assert (run.project, run.name, run.status, run.tags) == (
        "hf-test",
        "tiny-gpt2",
        "finished",
        ["tiny"],
    )
    assert run.model == "gpt2"  # built from a config: no _name_or_path, named by model_type
    assert run.total_steps == 30 and run.last_step == 30
    assert run.config["learning_rate"] == 3e-3 and run.config["max_steps"] == 30
    assert run.config["model"]["n_layer"] == 2 and run.config["model"]["n_embd"] == 32
    assert run.config["model_num_parameters"] == trainer.model.num_parameters()
    assert run.config["hub_token"] in (None, "<HUB_TOKEN>")
    # train metrics at the Trainer's global steps, under its own names
    loss = _series(run.id, "loss")
    assert [s for s, _ in loss] == list(range(2, 31, 2))
    assert loss[-1][1] < loss[0][1] * 0.8  # it learned to count
    assert {"grad_norm", "learning_rate", "epoch", "num_input_tokens_seen"} <= set(run.summary)
    tokens = _series(run.id, "num_input_tokens_seen")
    assert tokens[-1] == (30, 30 * 8 * SEQ)
    # eval every 10 steps
    evals = _series(run.id, "eval_loss")
    assert [s for s, _ in evals] == [10, 20, 30]
    assert evals[-1][1] < evals[0][1]
    # what the Trainer logs once, at the end, is the run's summary, not one-point series
    with open_store() as s:
        own = s.read_run_values(run.id, "summary")
    once = {"train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss",
            "total_flos"}  # fmt: skip
    assert set(own) == once and not once & set(run.summary)
    assert own["train_runtime"] > 0 and own["train_loss"] == pytest.approx(
        sum(v for _, v in loss) / len(loss), rel=0.3
    )
    # progress and health from the one analysis layer
    assert prog.step == 30 and prog.total_steps == 30 and prog.percent == 100.0
    assert prog.status == "finished" and prog.eta_s == 0.0
    assert prog.loss_key == "loss" and prog.loss == pytest.approx(loss[-1][1])
    assert prog.tokens == 30 * 8 * SEQ and prog.tokens_per_s is not None
    assert prog.epoch == pytest.approx(0.6)
    # the curves are healthy; tokens/s on a shared 2-core machine is not for a test to judge
    assert {f.check for f in health.findings} <= {"throughput_drop"}, health.to_json()
    assert health.verdict in ("healthy", "warning")
    # checkpoints by reference, not copied
    assert [(a.kind, a.step, a.name) for a in arts] == [
        ("checkpoint", 10, "checkpoint-10"),
        ("checkpoint", 20, "checkpoint-20"),
        ("checkpoint", 30, "checkpoint-30"),
        ("best_checkpoint", 30, "checkpoint-30"),
    ]
    assert arts[0].path == (tmp_path / "out" / "checkpoint-10").resolve().as_posix()
    assert arts[0].size > 0
    assert not (Path(tb_home) / "artifacts" / run.id).exists()
    # a trainer.evaluate() after training re-opens the same run for its metrics
    trainer.evaluate()
    with open_store() as s:
        again = s.get_run(cb.run_id)
    assert again.status == "finished" and again.summary["eval_loss"].count == 3  # same step
    assert again.summary["eval_loss"].last_time > run.summary["eval_loss"].last_time


class StopAt(TrainerCallback):  # type: ignore[misc]
    """Stops training at `step`, as a crash or a preempted job would."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        if state.global_step >= self.step:
            control.should_training_stop = True


def test_resume_from_checkpoint_continues_the_same_run(tb_home: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = TrainboardCallback(copy_checkpoints=True)
    _trainer(_args(out), [first, StopAt(20)]).train()
    saved = json.loads((out / "checkpoint-20" / "trainer_state.json").read_text())
    assert saved["stateful_callbacks"]["TrainboardCallback"]["attributes"] == {
        "run_id": first.run_id
    }
    second = TrainboardCallback()  # a new process would make a new callback
    _trainer(_args(out), [second]).train(resume_from_checkpoint=str(out / "checkpoint-20"))
    assert second.run_id == first.run_id
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        arts = s.list_artifacts(run.id)
    assert run.status == "finished" and run.last_step == 30 and run.total_steps == 30
    assert [s for s, _ in _series(run.id, "loss")] == list(range(2, 31, 2))
    assert [s for s, _ in _series(run.id, "eval_loss")] == [10, 20, 30]
    # the first fit copied its checkpoints into the store; the resumed one keeps references
    assert [a.path.startswith("/") for a in arts] == [False, False, True]
    assert (Path(tb_home) / "artifacts" / arts[0].path / "trainer_state.json").exists()


def test_resume_from_an_earlier_checkpoint_supersedes_the_steps_after_it(
    tb_home: str, tmp_path: Path
) -> None:
    """The job died at step 26, its last checkpoint at 20: the resumed fit continues the run
    at step 20, and what the first attempt logged after 20 is kept as superseded."""
    out = tmp_path / "out"
    first = TrainboardCallback()
    _trainer(_args(out), [first, StopAt(26)]).train()
    second = TrainboardCallback()
    _trainer(_args(out), [second]).train(resume_from_checkpoint=str(out / "checkpoint-20"))
    assert second.run_id == first.run_id
    with open_store() as s:
        gone = s.read_series(first.run_id, "loss", superseded=True)
        tried = attempts_of(s.read_run_values(first.run_id, ATTEMPTS))
        run = s.get_run(first.run_id)
    assert [st for st, _ in _series(run.id, "loss")] == list(range(2, 31, 2))
    assert gone.steps.tolist() == [22, 24, 26]
    assert [(a.n, a.from_step, a.superseded) for a in tried] == [(1, None, None), (2, 20, (21, 26))]
    assert run.status == "finished" and run.last_step == 30


def test_report_to_trainboard_and_text_from_a_generation_callback(
    tb_home: str, tmp_path: Path
) -> None:
    class Sample(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.trainer: Trainer | None = None

        def on_evaluate(
            self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
        ) -> None:
            assert self.trainer is not None
            [tb] = [
                c
                for c in self.trainer.callback_handler.callbacks
                if isinstance(c, TrainboardCallback)
            ]
            tb.log_text("samples", f"0 1 2 3 at {state.global_step}")

    sample = Sample()
    args = _args(tmp_path / "out", report_to="trainboard", save_strategy="no", max_steps=20)
    trainer = _trainer(args, [sample])
    sample.trainer = trainer
    trainer.train()
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        texts = s.read_texts(run.id)
    assert run.status == "finished" and run.summary["eval_loss"].count == 2
    assert [(t.key, t.step, t.text) for t in texts] == [
        ("samples", 10, "0 1 2 3 at 10"),
        ("samples", 20, "0 1 2 3 at 20"),
    ]


def test_only_the_main_process_logs(tb_home: str, tmp_path: Path) -> None:
    cb = TrainboardCallback()
    args = _args(tmp_path / "out")
    other_rank = TrainerState(is_world_process_zero=False, max_steps=30)
    cb.on_train_begin(args, other_rank, TrainerControl(), model=_model())
    cb.on_log(args, other_rank, TrainerControl(), logs={"loss": 1.0})
    cb.log_text("samples", "not recorded")
    cb.on_train_end(args, other_rank, TrainerControl())
    assert cb.run_id is None
    with open_store() as s:
        assert s.list_runs(RunQuery()) == []
    with pytest.raises(UsageError, match=r"log_text\(\): no open run; call it during"):
        TrainboardCallback().log_text("samples", "too early")


@pytest.mark.slow  # the example script in a child process
def test_example_script_records_a_run(tb_home: str) -> None:
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[2] / "examples" / "hf_trainer.py"
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    env["EXAMPLE_STEPS"] = "20"
    r = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=240
    )
    assert r.returncode == 0, r.stderr[-3000:]
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
    assert (run.name, run.project, run.status, run.total_steps) == (
        "tiny-gpt2",
        "examples",
        "finished",
        20,
    )
    assert run.summary["eval_loss"].count == 2


def test_tensorboard_report_imports_with_the_trainers_config(tb_home: str, tmp_path: Path) -> None:
    """report_to="tensorboard" writes the Trainer's `args` and `model_config` as texts; the
    import makes them the run's config, shaped as a run logged with report_to="trainboard"."""
    import subprocess
    import sys

    args = _args(tmp_path / "out", max_steps=12, eval_steps=6, save_strategy="no",
                 report_to="tensorboard")  # fmt: skip
    _trainer(args, []).train()
    logs = tmp_path / "out" / "runs"  # the Trainer's default: output_dir/runs/<date>_<host>
    cmd = [sys.executable, "-m", "trainboard", "import", "tensorboard", str(logs)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        texts = {t.key for t in s.read_texts(run.id)}
        own = s.read_run_values(run.id, "summary")
    # the end-of-training values are the summary, under the names report_to="trainboard" gives
    once = {"train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss",
            "total_flos"}  # fmt: skip
    assert set(own) == once and own["train_runtime"] > 0
    assert not {k for k in run.summary if k.removeprefix("train/") in once}
    assert {"train/loss", "eval/loss"} <= set(run.summary)
    assert run.config["learning_rate"] == 3e-3 and run.config["max_steps"] == 12
    assert run.config["run_name"] == "tiny-gpt2" and run.config["eval_steps"] == 6
    assert run.config["model"]["n_layer"] == 2 and run.config["model"]["n_embd"] == 32
    assert run.total_steps == 12  # from the config's max_steps
    assert {"args/text_summary", "model_config/text_summary"} <= texts  # still texts too


def test_sample_table_hook_at_each_evaluation(tb_home: str, tmp_path: Path) -> None:
    import trainboard

    seen: list[int] = []

    def samples(model: Any, state: TrainerState, **kw: Any) -> trainboard.Table:
        seen.append(state.global_step)
        assert model is not None
        table = trainboard.Table(columns=["prompt", "completion"])
        table.add_data("0 1 2", f"3 at {state.global_step}")
        return table

    cb = TrainboardCallback(samples=samples)
    args = _args(tmp_path / "out", save_strategy="no", max_steps=20)
    _trainer(args, [cb]).train()
    assert seen == [10, 20]
    run = trainboard.Api().run(cb.run_id)
    assert [(m.step, m.kind) for m in run.media("eval/samples")] == [(10, "table"), (20, "table")]
    assert run.table("eval/samples")["completion"].tolist() == ["3 at 20"]
    assert run.table("eval/samples", step=10)["completion"].tolist() == ["3 at 10"]


class StopFromCli(TrainerCallback):  # type: ignore[misc]
    """Runs `trainboard stop RUN` in a child process, as a person would, once at `step`."""

    def __init__(self, step: int, tb: TrainboardCallback) -> None:
        self.step, self.tb, self.asked_at = step, tb, None

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        if state.global_step == self.step:
            cmd = [sys.executable, "-m", "trainboard", "stop", str(self.tb.run_id)]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
            self.asked_at = state.global_step


def test_a_trainer_stopped_from_the_cli_saves_and_ends_stopped(
    tb_home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_CONTROL_INTERVAL", "0.2")
    tb = TrainboardCallback()
    stopper = StopFromCli(5, tb)
    args = _args(tmp_path, max_steps=3000, eval_strategy="no", save_steps=100_000)
    trainer = _trainer(args, [tb, stopper])
    trainer.train()
    last = trainer.state.global_step
    assert stopper.asked_at == 5 and 5 < last < 3000
    assert (tmp_path / f"checkpoint-{last}").is_dir()  # the final save the stop asked for
    with open_store() as s:
        run = s.get_run(str(tb.run_id))
        kinds = [a.kind for a in s.list_artifacts(run.id)]
    assert run.status == "stopped" and run.last_step == last
    assert "checkpoint" in kinds


@pytest.mark.slow  # a real torchrun job of two processes
def test_under_torchrun_every_rank_joins_the_run_and_the_slow_rank_is_named(
    tmp_path: Path,
) -> None:
    """`torchrun --nproc_per_node=2` of a Trainer (gloo DDP on CPU) whose rank 1 sleeps after
    each step: one run, rank 0's metrics, each rank's all-reduce wait timed by the callback,
    and the straggler finding names rank 1 as the one rank 0 waits for."""
    url = f"sqlite:///{tmp_path / 'job.db'}"
    env = dict(
        os.environ,
        JOB_STORE=url,
        JOB_OUT=str(tmp_path / "out"),
        JOB_STEPS="40",
        JOB_SLOW="0.15",
        TRAINBOARD_SYSTEM_INTERVAL="0.3",
        TRAINBOARD_QUIET="1",
        TRAINBOARD_HOME=str(tmp_path / "home"),
    )
    job = Path(__file__).parent.parent / "jobs" / "hf_ddp_job.py"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run([*cmd, str(job)], env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    with open_store(url) as s:
        runs = s.list_runs()
        assert len(runs) == 1, [r.name for r in runs]  # one job, one run
        run = runs[0]
        ranks = s.read_run_values(run.id, "ranks")
        waits = {r: s.read_series(run.id, f"sys/rank{r}/comm_wait").values for r in (0, 1)}
        rates = {r: s.read_series(run.id, f"sys/rank{r}/steps_per_s").values for r in (0, 1)}
        found = [f for f in health_for(s, run).findings if f.check == "straggler"]
    assert run.status == "finished" and set(ranks) == {"0", "1"}
    assert ranks["1"]["ended"] == "finished" and run.pid == ranks["0"]["pid"]
    assert "loss" in run.summary and run.summary["loss"].last_step == 40
    assert len(waits[0]) >= 3 and len(waits[1]) >= 3
    # logging_steps=5 with a sample every 0.3 s: most samples see no new step; every stored
    # rate is still a real one, never the 0 of a sample between two logs
    assert all(len(rates[r]) >= 3 and all(v > 0 for v in rates[r]) for r in (0, 1)), rates
    assert len(found) == 1, [f.saw for f in found]
    assert found[0].saw.startswith("rank 1 (host ") and "the others wait for" in found[0].saw
