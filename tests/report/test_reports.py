"""CSV, JSON, Markdown and HTML exports of one comparison: the same numbers, text escaped."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from trainboard.analysis.compare import RunFacts, build_comparison
from trainboard.errors import UsageError
from trainboard.report import format_for_path, render
from trainboard.report.cells import comparison_table
from trainboard.store.records import MetricSummary, RunRecord

HOSTILE = "<img src=x onerror=alert(1)>|pipe"


def s(lo: float, last: float | None = None) -> MetricSummary:
    return MetricSummary(3, lo if last is None else last, 30, lo, 20, lo, 20, 0.0, 1.0)


def comparison(gpu: bool = False):  # type: ignore[no-untyped-def]
    # eval loss 1.0 (best), 1.352 (+35.2 %, warned), NaN (not ranked)
    runs = [
        RunRecord(id="r1", project="p", name="run-1", model="m", created_at=1,
                  config={"lr": 0.001, "note": "<b>x</b>"}, summary={"eval/loss": s(1.0, 1.05)}),
        RunRecord(id="r2", project="p", name=HOSTILE, model="m", created_at=2,
                  config={"lr": 0.003, "note": "y"}, summary={"eval/loss": s(1.352)}),
        RunRecord(id="r3", project="p", name="run-3", model="m", created_at=3,
                  config={"lr": 0.01, "note": "y"}, summary={"eval/loss": s(math.nan)}),
    ]  # fmt: skip
    used = {"gpu_util": 81.5, "gpu_mem_gb": 30.25, "gpu_mem_pct": 75.6} if gpu else {}
    facts = {
        "r1": RunFacts(
            "finished",
            duration_s=3725.0,
            steps_per_s=1.92,
            tokens=983_040.0,
            **used,  # type: ignore[arg-type]
        ),
        "r2": RunFacts("finished", duration_s=7560.0, steps_per_s=2.5, tokens=983_040.0),
        "r3": RunFacts("crashed", duration_s=60.0),
    }
    return build_comparison(runs, facts)


def test_table_cells_and_highlight() -> None:
    t = comparison_table(comparison())
    assert t.header[:4] == ["run", "best eval/loss", "vs best", "best at"]
    first, second, third = t.rows
    assert first[0].text == "run-1 🏆" and second[0].text == HOSTILE + " ⚠"
    by = dict(zip(t.keys, first[1:], strict=True))
    assert by["best_value"].text == "1.0000" and by["best_value"].best
    assert by["delta_pct"].text == "best" and by["duration_s"].text == "1h 2m 5s"
    assert by["final_perplexity"].text == f"{math.exp(1.05):.2f}"
    assert by["tokens"].text == "0.98M"
    by2 = dict(zip(t.keys, second[1:], strict=True))
    assert by2["delta_pct"].text == "+35.2%" and by2["steps_per_s"].best
    by3 = dict(zip(t.keys, third[1:], strict=True))
    assert by3["best_value"].text == "NaN" and by3["delta_pct"].text == "—"


def test_csv_round_trip() -> None:
    rows = list(csv.DictReader(io.StringIO(render(comparison(), "csv"))))
    assert [r["id"] for r in rows] == ["r1", "r2", "r3"]
    assert rows[0]["metric"] == "eval/loss" and rows[0]["trophy"] == "true"
    assert float(rows[1]["delta_pct"]) == pytest.approx(35.2)
    assert rows[1]["name"] == HOSTILE and rows[1]["warning"] == "true"
    assert rows[2]["best_value"] == "NaN" and rows[2]["delta_pct"] == "" and rows[2]["rank"] == ""


def test_csv_holds_every_row_the_table_shows() -> None:
    """One list (analysis.table.ROWS) for the table and the export: each row's raw fields
    are CSV columns, GPU use and peak memory among them."""
    from trainboard.analysis.table import RAW_FIELDS, ROWS
    from trainboard.report.cells import CSV_FIELDS

    for key, _, _ in ROWS:
        assert set(RAW_FIELDS.get(key, (key,))) <= set(CSV_FIELDS), key
    c = comparison(gpu=True)
    shown = comparison_table(c)
    rows = list(csv.DictReader(io.StringIO(render(c, "csv"))))
    assert {"gpu_util", "gpu_mem_gb"} <= set(shown.keys)  # the view shows them...
    assert (rows[0]["gpu_util"], rows[0]["gpu_mem_gb"], rows[0]["gpu_mem_pct"]) == (
        "81.5",
        "30.25",
        "75.6",
    )  # ...and the export holds them
    assert rows[1]["gpu_mem_gb"] == rows[1]["gpu_mem_pct"] == ""


def test_json_matches_contract() -> None:
    j = json.loads(render(comparison(), "json"))
    assert j["best"] == "r1" and j["recommendation"]["run"] == "r1"
    assert j["runs"][2]["best_value"] == "NaN"
    assert j["recommendation"]["reasons"][0] == (
        f"lowest eval/loss (1.0000); runner-up {HOSTILE} is +35.2% vs best"
    )


def test_markdown_report() -> None:
    md = render(comparison(), "md", title="Qwen runs")
    assert md.startswith("# Qwen runs\n")
    assert "**Keep run-1** (`r1`):" in md
    assert (
        "- lowest eval/loss (1.0000); runner-up &lt;img src=x onerror=alert(1)&gt;\\|pipe is "
        "+35.2% vs best" in md
    )
    assert "| run-1 🏆 | **1.0000** | best |" in md
    assert "| &lt;img src=x onerror=alert(1)&gt;\\|pipe ⚠ | 1.3520 | +35.2% |" in md
    assert "2 parameters differ; 0 are the same in every run." in md
    assert "<b>" not in md


def test_html_escapes_every_user_string() -> None:
    page = render(comparison(), "html")
    assert "<img" not in page and "<b>x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;|pipe ⚠" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert '<td class="best">1.0000</td>' in page
    assert "<li>lowest eval/loss (1.0000); runner-up &lt;img" in page


def test_formats() -> None:
    assert format_for_path("out/report.HTML") == "html"
    assert format_for_path("r.md") == "md"
    with pytest.raises(UsageError, match=r"cannot tell the report format from 'r.txt'"):
        format_for_path("r.txt")
    with pytest.raises(UsageError, match=r"got 'pdf'"):
        render(comparison(), "pdf")
