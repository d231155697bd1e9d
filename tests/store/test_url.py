"""StoreURL.parse: every store URL scheme in one place (#22), and nothing else deciding it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainboard.errors import UsageError
from trainboard.store.url import StoreURL

SRC = Path(__file__).resolve().parents[2] / "src" / "trainboard"


def test_each_scheme_names_its_engine() -> None:
    assert StoreURL.parse("sqlite:///runs.db").engine == "sqlite"
    for url in ("postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"):
        assert StoreURL.parse(url).engine == "postgresql"
        assert StoreURL.parse(url).driver_url() == "postgresql+psycopg://u@h/db"
    assert StoreURL.parse("https://tb.example:8765").engine == "remote"
    assert StoreURL.is_remote("http://127.0.0.1:8765") and not StoreURL.is_sql("http://x")


def test_sqlite_paths_expand_and_memory_has_none() -> None:
    home = StoreURL.parse("sqlite:///~/runs.db")
    assert home.sqlite_path == Path("~/runs.db").expanduser()
    assert home.driver_url() == f"sqlite:///{Path('~/runs.db').expanduser()}"
    assert StoreURL.parse("sqlite:////abs/runs.db").sqlite_path == Path("/abs/runs.db")
    for url in ("sqlite:///", "sqlite:///:memory:"):
        assert StoreURL.parse(url).in_memory and StoreURL.parse(url).sqlite_path is None
    assert StoreURL.parse("postgresql://h/db").sqlite_path is None


@pytest.mark.parametrize("url", ["mysql://h/db", "runs.db", "sqlite://runs.db", ""])
def test_anything_else_is_refused_naming_the_schemes(url: str) -> None:
    with pytest.raises(UsageError, match=r"store URL must start with sqlite:///, postgresql://"):
        StoreURL.parse(url)


def test_no_other_module_compares_store_url_prefixes() -> None:
    """settings.artifacts_dir is the one exception: settings sit below the store (layer 0)."""
    prefix = re.compile(r"""startswith\(\(?["'](sqlite|postgres|http)""")
    found = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if prefix.search(p.read_text()) and p.name not in ("url.py", "settings.py")
    ]
    assert found == []
