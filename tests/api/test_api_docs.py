"""docs/python_api.md documents every public member of Api, Runs and StoredRun."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainboard.read import Api, Runs, StoredRun

DOC = Path(__file__).resolve().parents[2] / "docs" / "python_api.md"


def _public(cls: type) -> list[str]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    names -= {"index", "count"}  # Sequence's own mixins
    return sorted(names | {"url", "store"} if cls is Api else names)


@pytest.mark.parametrize(("cls", "prefix"), [(Api, "api"), (Runs, "runs"), (StoredRun, "run")])
def test_every_public_member_is_documented(cls: type, prefix: str) -> None:
    page = DOC.read_text()
    missing = [n for n in _public(cls) if f"`{prefix}.{n}" not in page]
    assert missing == [], f"docs/python_api.md does not document {prefix}.{missing}"
    if cls is Runs:
        assert all(s in page for s in ("`iter(runs)`", "`len(runs)`", "`runs[i]`"))


def test_readme_points_at_the_python_api() -> None:
    readme = (DOC.parents[1] / "README.md").read_text()
    assert "## Read runs back in Python" in readme and "docs/python_api.md" in readme
