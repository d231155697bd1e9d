"""Comparison reports with the runs' curves: a PNG beside the Markdown, inline SVG in the
HTML page (which stays one file), none for CSV/JSON or with --no-figures."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import Result
from figure_support import make_run
from typer.testing import CliRunner

from trainboard.cli import app
from trainboard.store import open_store

HOSTILE = '<img src=x onerror="alert(1)">'


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def seed() -> None:
    with open_store() as db:
        make_run(db, "aaaa00000001", "lr3e-4", seed=1)
        make_run(db, "bbbb00000002", HOSTILE, seed=2)


def test_markdown_report_links_a_png_beside_it(tb_home: str, tmp_path: Path) -> None:
    seed()
    md = tmp_path / "my report.md"
    r = invoke("report", "--compare", "aaaa", "bbbb", "-o", str(md))
    assert r.exit_code == 0, r.output
    png = tmp_path / "my report-curves.png"
    assert f"curves in {png.name}" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 30_000
    text = md.read_text()
    assert "## Curves" in text
    assert re.search(r"!\[Curves of the compared runs[^\]]*\]\(my%20report-curves\.png\)", text)
    assert text.index("## Runs") < text.index("## Curves") < text.index("## Config differences")


def test_html_report_inlines_the_svg_and_escapes_names(tb_home: str, tmp_path: Path) -> None:
    seed()
    page = tmp_path / "report.html"
    r = invoke("report", "--compare", "aaaa", "bbbb", "-o", str(page))
    assert r.exit_code == 0, r.output
    html = page.read_text()
    assert html.count("<svg") == 1 and "<h2>Curves</h2>" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "Gradient norm" in svg and "lr3e-4" in svg  # text stays text, run names in the legend
    assert "<img" not in html  # the hostile name is escaped in the table and in the figure
    assert "&lt;img src=x onerror=" in svg
    assert not list(tmp_path.glob("*.png"))  # one self-contained file


def test_no_figures_and_tables_only_formats(tb_home: str, tmp_path: Path) -> None:
    seed()
    md = tmp_path / "plain.md"
    r = invoke("report", "--compare", "aaaa", "bbbb", "-o", str(md), "--no-figures")
    assert r.exit_code == 0, r.output
    assert "## Curves" not in md.read_text() and not list(tmp_path.glob("*.png"))
    r = invoke("report", "--compare", "aaaa", "bbbb", "-o", str(tmp_path / "t.csv"))
    assert r.exit_code == 0 and not list(tmp_path.glob("*.png"))


def test_json_export_includes_the_text_samples(tb_home: str, tmp_path: Path) -> None:
    import json

    with open_store() as db:
        make_run(db, "aaaa00000001", "lr3e-4", n=100, texts=2)
    out = tmp_path / "run.json"
    r = invoke("export", "aaaa", "--format", "json", "-o", str(out))
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_bytes())
    assert [(t["key"], t["step"], t["text"]) for t in doc["texts"]] == [
        ("samples", 0, "sample $x$ at 0\nline two"),
        ("samples", 50, "sample $x$ at 50\nline two"),
    ]
    assert len(doc["metrics"]["train/loss"]) == 100
