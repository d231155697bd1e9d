"""The truth suite's comparisons: runs from different tools, compared on what they measured.

Each *experiment* is five runs of one fine-tune with different hyperparameters (known final
eval loss and eval accuracy: the ground truth). The same five runs are written the way each
tool logs them (NAMINGS: trainboard, Hugging Face, Lightning, the TensorBoard guides, nanoGPT),
each run one way, and mixed: every run its own way, in five rotations. Compare (the one entry
point behind the page, the CLI and `Api.compare`), `best_run` and the Runs list's ranking
(`rank_in_groups`) must pick the true winner whatever the naming, on the default metric and on
every spelling a person might pass as `--metric` (each tool's key, the measure's id, the role).

`comparisons(store)` returns one row per comparison; bench/tb_truth.py publishes the fraction
that agree with the ground truth (target: all of them), tests/analysis/test_truth.py checks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from bench.truth_runs import T0, Shape, healthy
from trainboard.analysis.compare import build_comparison, compare, rank_in_groups
from trainboard.errors import UsageError
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord

# role -> the keys each tool logs it under (Lightning logs the train loss per step and per
# epoch; nanoGPT logs no accuracy, and its step counter and MFU beside the losses)
NAMINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "trainboard": {"loss": ("train/loss",), "eval_loss": ("eval/loss",),
                   "acc": ("eval/accuracy",), "lr": ("lr",)},
    "hf": {"loss": ("loss",), "eval_loss": ("eval_loss",), "acc": ("eval_accuracy",),
           "lr": ("learning_rate",), "epoch": ("epoch",)},
    "lightning": {"loss": ("train_loss_step", "train_loss_epoch"), "eval_loss": ("val_loss",),
                  "acc": ("val_acc",), "lr": ("lr-AdamW",), "epoch": ("epoch",)},
    "tensorboard": {"loss": ("Loss/train",), "eval_loss": ("Loss/validation",),
                    "acc": ("Evaluation/accuracy",), "lr": ("Learning_Rate/lr",)},
    "nanogpt": {"loss": ("train/loss",), "eval_loss": ("val/loss",), "lr": ("lr",),
                "iter": ("iter",), "mfu": ("mfu",)},
}  # fmt: skip
TOOLS = tuple(NAMINGS)
EXPERIMENTS = 12
RUNS = 5  # per experiment
STEPS = 400


def _metrics_to_try() -> list[tuple[str | None, str]]:
    """(--metric, what it decides on): the default, every tool's key, the ids and roles."""
    out: list[tuple[str | None, str]] = [(None, "eval_loss"), ("eval_loss", "eval_loss")]
    for names in NAMINGS.values():
        out.append((names["eval_loss"][0], "eval_loss"))
        if "acc" in names:
            out.append((names["acc"][0], "acc"))
    out += [("quality", "acc"), ("eval_accuracy", "acc"), ("train_loss", "loss")]
    return list(dict.fromkeys(out))


def experiment(e: int) -> list[dict[str, tuple[Any, Any, Any]]]:
    """The five runs of experiment `e`, by role: a healthy run each, its losses scaled and its
    accuracy shifted so that the runs' orders differ between the three measures."""
    rng = np.random.default_rng(7000 + e)
    scale = rng.permutation(RUNS)
    shift = rng.permutation(RUNS)
    train = rng.permutation(RUNS)
    runs = []
    for j in range(RUNS):
        d = healthy(Shape(steps=STEPS, eval_every=50, steps_per_epoch=200, seed=e * 10 + j))
        s, t, v = d["eval_loss"]
        d["eval_loss"] = (s, t, v * (1 + 0.04 * scale[j]))
        s, t, v = d["acc"]
        d["acc"] = (s, t, v + 0.01 * shift[j])
        s, t, v = d["loss"]
        d["loss"] = (s, t, v * (1 + 0.03 * train[j]))
        runs.append(d)
    return runs


def truth_winner(runs: list[dict[str, tuple[Any, Any, Any]]], role: str, tools: list[str]) -> int:
    """Index of the true best run on `role` among the runs whose tool logs it."""
    best = max if role == "acc" else min
    have = [j for j in range(len(runs)) if role in NAMINGS[tools[j]]]
    return best(have, key=lambda j: float(best(runs[j][role][2])))


def write(
    store: Store, prefix: str, runs: list[dict[str, tuple[Any, Any, Any]]], tools: list[str]
) -> list[str]:
    """The runs, run j logged the way tools[j] logs; one project (no model) per variant."""
    ids = []
    for j, (series, tool) in enumerate(zip(runs, tools, strict=True)):
        rid = f"{prefix}{j:02d}"
        store.create_run(
            RunRecord(rid, prefix, f"{prefix}-run{j}", status="finished",
                      created_at=T0 + j, finished_at=T0 + 10_000.0)
        )  # fmt: skip
        batches = {}
        for role, keys in NAMINGS[tool].items():
            s, t, v = series.get(role) or series["loss"]  # iter / mfu: any series will do
            for k in keys:
                batches[k] = PointBatch.of(s, t, v)
        store.write_points(rid, batches)
        ids.append(rid)
    return ids


def variants() -> Iterator[tuple[str, list[str]]]:
    """Each tool alone, then mixed: every run its own tool, in five rotations."""
    for tool in TOOLS:
        yield tool, [tool] * RUNS
    for r in range(len(TOOLS)):
        yield f"mixed{r}", [TOOLS[(j + r) % len(TOOLS)] for j in range(RUNS)]


def comparisons(store: Store, experiments: int = EXPERIMENTS) -> list[dict[str, Any]]:
    """Every comparison of the suite (the first `experiments`): what decided, the winner
    picked and the true one. A comparison that raises counts as a wrong pick."""
    out = []
    metrics = _metrics_to_try()
    for e in range(experiments):
        runs = experiment(e)
        for v, (name, tools) in enumerate(variants()):
            prefix = f"x{e:02d}v{v:02d}"
            ids = write(store, prefix, runs, tools)
            records = [store.get_run(i) for i in ids]
            for metric, role in metrics:
                if not any(role in NAMINGS[t] for t in tools):
                    continue  # nanoGPT logs no accuracy: nothing to decide on
                truth = ids[truth_winner(runs, role, tools)]
                try:
                    got = compare(store, ids, metric, trends=False).best
                except UsageError:
                    got = None
                out.append({"experiment": e, "naming": name, "by": "compare", "metric": metric,
                            "picked": got, "truth": truth})  # fmt: skip
                if metric is None or metric == "quality":  # Api.best_run's ranking
                    try:
                        best = build_comparison(records, {}, metric).best
                    except UsageError:
                        best = None
                    out.append({"experiment": e, "naming": name, "by": "best_run",
                                "metric": metric, "picked": best, "truth": truth})  # fmt: skip
            truth = ids[truth_winner(runs, "eval_loss", tools)]
            ranks = rank_in_groups(store.list_runs(RunQuery(project=prefix)))
            lead = [i for i in ids if ranks[i].group_best]
            out.append({"experiment": e, "naming": name, "by": "runs_list", "metric": None,
                        "picked": lead[0] if len(lead) == 1 else None, "truth": truth,
                        "unranked": sum(ranks[i].best_value is None for i in ids)})  # fmt: skip
    return out


def agreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The published figures: comparisons made, the fraction agreeing with the ground truth,
    the ones that did not, and the runs the Runs list left without a value."""
    wrong = [r for r in rows if r["picked"] != r["truth"]]
    return {
        "comparisons": len(rows),
        "comparisons_agreeing": len(rows) - len(wrong),
        "comparisons_agree_fraction": round((len(rows) - len(wrong)) / max(1, len(rows)), 4),
        "comparisons_wrong": [
            f"{r['naming']} e{r['experiment']} {r['by']} {r['metric']}" for r in wrong[:10]
        ],
        "runs_list_unranked": sum(r.get("unranked", 0) for r in rows),
        "namings": list(TOOLS),
    }
