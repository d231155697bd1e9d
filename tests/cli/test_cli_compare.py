"""`trainboard compare`, `report --compare` and `archive --worse-than` over a real store."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from typer.testing import CliRunner

from trainboard.cli import app
from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord


def seed(home: str) -> None:
    # best eval loss: run-1 1.0, run-2 1.352 (+35.2 %), run-3 1.2 (+20 %)
    with open_store() as db:
        for rid, name, losses, created in (
            ("aaaaaaaaaaaa", "run-1", [1.2, 1.0, 1.1], 1000.0),
            ("bbbbbbbbbbbb", "[red]run-2", [1.4, 1.352], 2000.0),
            ("cccccccccccc", "run-3", [1.3, 1.2], 3000.0),
        ):
            db.create_run(RunRecord(id=rid, project="p", name=name, model="m",
                                    status="finished", created_at=created,
                                    finished_at=created + 60.0,
                                    config={"lr": created / 1e6}))  # fmt: skip
            steps = list(range(1, len(losses) + 1))
            times = [created + s for s in steps]
            db.write_points(rid, {"eval/loss": PointBatch.of(steps, times, losses)})


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_compare_text(tb_home: str) -> None:
    seed(tb_home)
    code, out, _ = invoke("compare", "aaaa", "[red]run-2", "cccccccccccc")
    assert code == 0, out
    assert "run-1 🏆" in out and "[red]run-2 ⚠" in out and "+35.2%" in out and "+20.0%" in out
    assert (
        "Recommendation: run-1: lowest eval/loss (1.0000); runner-up run-3 is +20.0% vs best" in out
    )
    assert "lr" in out  # config differences


def test_compare_on_a_narrow_terminal_never_breaks_a_value(tb_home: str) -> None:
    """An 80-column terminal: the comparison and many differing parameters read whole."""
    with open_store() as db:
        for rid, lr in (("aaaaaaaaaaaa", 3e-05), ("bbbbbbbbbbbb", 5e-05)):
            params = {f"param_{i:02d}": f"value-{rid[0]}-{i}" for i in range(12)}
            db.create_run(RunRecord(id=rid, project="p", name=f"run-{rid[0]}", model="m",
                                    status="finished", created_at=1000.0, finished_at=1060.0,
                                    config={"lr": lr, **params}))  # fmt: skip
            db.write_points(rid, {"eval/loss": PointBatch.of([1, 2], [1001.0, 1002.0], [lr, lr])})
    r = CliRunner().invoke(app, ["compare", "aaaa", "bbbb"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.stdout
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # the table is turned on its side: one row per column, every heading and value whole
    vs_best = next(line for line in lines if line.startswith("vs best"))
    assert "best" in vs_best[8:] and "+66.7%" in vs_best
    assert "run-a 🏆" in lines[0] and "run-b ⚠" in lines[0]
    lr_line = next(line for line in lines if line.lstrip().startswith("lr "))
    assert "3e-05" in lr_line and "5e-05" in lr_line
    for i in range(12):
        row = next(line for line in lines if line.lstrip().startswith(f"param_{i:02d}"))
        assert f"value-a-{i}" in row and f"value-b-{i}" in row


def test_compare_json_and_formats(tb_home: str) -> None:
    seed(tb_home)
    code, out, _ = invoke("compare", "aaaaaaaaaaaa", "bbbbbbbbbbbb", "--json")
    assert code == 0
    j = json.loads(out)
    assert j["best"] == "aaaaaaaaaaaa" and math.isclose(j["runs"][1]["delta_pct"], 35.2)
    assert j["recommendation"]["reasons"][0] == (
        "lowest eval/loss (1.0000); runner-up [red]run-2 is +35.2% vs best"
    )
    code, out, _ = invoke("compare", "aaaa", "bbbb", "--format", "csv", "--threshold", "40")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["run-1", "[red]run-2"]
    assert rows[1]["warning"] == "false"
    code, out, _ = invoke("compare", "aaaa", "bbbb", "--format", "md")
    assert code == 0 and "## Recommendation" in out


def test_compare_errors(tb_home: str) -> None:
    seed(tb_home)
    code, _, err = invoke("compare", "aaaa", "zzzz")
    assert code == 1 and "no run with id 'zzzz'" in err
    code, _, err = invoke("compare", "aaaa", "--metric", "acc")
    assert code == 2 and "metric 'acc' is not logged by any of the runs" in err
    code, _, err = invoke("compare", "aaaa", "--json", "--format", "csv")
    assert code == 2 and "pick one" in err


def test_report_writes_markdown_and_html(tb_home: str, tmp_path: Path) -> None:
    seed(tb_home)
    md = tmp_path / "report.md"
    code, out, _ = invoke("report", "--compare", "aaaa", "bbbb", "cccc", "-o", str(md))
    assert code == 0, out
    assert out.startswith(f"wrote {md} (md, 3 runs, curves in report-curves.png); run-1: lowest")
    text = md.read_text()
    assert "**Keep run-1** (`aaaaaaaaaaaa`):" in text and "| run-1 🏆 | **1.0000** | best |" in text
    page = tmp_path / "report.html"
    code, _, _ = invoke("report", "--compare", "aaaa", "bbbb", "-o", str(page), "--title", "<x>")
    assert code == 0 and "<title>&lt;x&gt;</title>" in page.read_text()
    code, _, err = invoke("report", "--compare", "aaaa", "-o", str(tmp_path / "r.txt"))
    assert code == 2 and "cannot tell the report format" in err
    code, _, err = invoke("report", "aaaa", "-o", str(md))
    assert code == 2 and "pass --compare RUN" in err


def test_archive_worse_than_lists_then_archives(tb_home: str) -> None:
    seed(tb_home)
    # group m: best 1.0; [red]run-2 +35.2 % (over 25 %), run-3 +20 % (not)
    code, out, _ = invoke("archive", "--worse-than", "25%", "--model", "m")
    assert code == 0, out
    assert "[red]run-2" in out and "+35.2%" in out and "run-3" not in out
    assert "would archive 1 run; pass --yes to archive them" in out
    with open_store() as db:
        assert not db.get_run("bbbbbbbbbbbb").archived  # nothing done without --yes
    code, out, _ = invoke("archive", "--worse-than", "10", "--yes")
    assert code == 0 and out.strip().endswith("archived 2 runs")
    with open_store() as db:
        assert db.get_run("bbbbbbbbbbbb").archived and db.get_run("cccccccccccc").archived
        assert not db.get_run("aaaaaaaaaaaa").archived
    code, out, _ = invoke("archive", "--worse-than", "10")
    assert code == 0 and "no run is more than 10% worse" in out


def test_archive_worse_than_errors(tb_home: str) -> None:
    seed(tb_home)
    code, _, err = invoke("archive", "--worse-than", "lots")
    assert code == 2 and "--worse-than must be a percentage such as 25%, got 'lots'" in err
    code, _, err = invoke("archive", "--worse-than", "25%", "--model", "gpt")
    assert code == 2 and "no unarchived runs of model 'gpt'" in err
    code, _, err = invoke("archive", "aaaa", "--worse-than", "25%")
    assert code == 2 and "not both" in err
    code, _, err = invoke("archive")
    assert code == 2 and "give RUN..." in err
    code, out, _ = invoke("archive", "aaaa")  # the plain form still works
    assert code == 0 and out.startswith("archived 1 run: run-1")


def test_compare_mixed_keys_by_role_names_each_runs_key(tb_home: str) -> None:
    # the same eval loss logged the Hugging Face way, the Lightning way and the TensorBoard
    # guides' way: --metric takes the role, any tool's key, or nothing, and picks the same run
    with open_store() as db:
        for rid, name, key, best in (
            ("aaaaaaaaaaaa", "hf", "eval_loss", 0.9),
            ("bbbbbbbbbbbb", "lightning", "val_loss", 0.6),
            ("cccccccccccc", "tb", "Loss/validation", 0.8),
        ):
            db.create_run(RunRecord(id=rid, project="p", name=name, status="finished",
                                    created_at=1000.0, finished_at=1060.0))  # fmt: skip
            db.write_points(rid, {key: PointBatch.of([1, 2], [1001.0, 1002.0], [1.5, best])})
    for metric in ([], ["--metric", "eval_loss"], ["--metric", "val_loss"],
                   ["--metric", "Loss/validation"]):  # fmt: skip
        code, out, _ = invoke("compare", "hf", "lightning", "tb", "--json", *metric)
        assert code == 0, out
        c = json.loads(out)
        assert c["best"] == "bbbbbbbbbbbb" and c["metric"] == "eval_loss", metric
        assert {r["name"]: r["key"] for r in c["runs"]} == {
            "hf": "eval_loss", "lightning": "val_loss", "tb": "Loss/validation"
        }  # fmt: skip
        assert [r["rank"] for r in c["runs"]] == [1, 2, 3]
    code, out, _ = invoke("compare", "hf", "lightning", "tb")
    assert code == 0 and "val_loss" in out and "Loss/validation" in out  # the key row
