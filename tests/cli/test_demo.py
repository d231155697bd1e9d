"""`trainboard demo --steps 20 --no-ui` in a real child process: a finished run with every
metric, text samples and histograms the demo promises."""

from __future__ import annotations

from cli_support import python_m

from trainboard.store.base import RunQuery, open_store


def test_demo_twenty_steps(tb_home: str) -> None:
    r = python_m("demo", "--steps", "20", "--no-ui", env_home=tb_home, timeout=280)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "step 20 / 20  100.0%" in r.stdout and "finished" in r.stdout
    with open_store() as store:
        (run,) = store.list_runs(RunQuery(archived=None))
        assert (run.project, run.model, run.status, run.total_steps, run.last_step) == (
            "demo", "char-gpt", "finished", 20, 20
        )  # fmt: skip
        assert set(run.summary) >= {
            "train/loss", "val/loss", "val/accuracy", "lr", "grad_norm", "tokens",
            "tokens_per_s", "epoch",
        }  # fmt: skip
        assert run.summary["train/loss"].count == 20
        assert run.summary["val/loss"].count == 4  # every 5 steps (20 // 4)
        assert run.summary["tokens"].last == 20 * 16 * 64
        lr = store.read_series(run.id, "lr").values
        assert lr[0] < lr[1] and lr[-1] < lr.max()  # warm-up, then decay
        texts = store.read_texts(run.id, "samples")
        assert [t.step for t in texts] == [10, 20] and all(t.text.startswith("def ") for t in texts)
        hists = {h.key for h in store.read_histograms(run.id)}
        assert {"weights/embedding", "gradients/embedding", "weights/block0.attn"} <= hists
        assert run.config["max_grad_norm"] == 1.0
    assert f"run {run.name} ({run.id}) finished" in r.stdout
