"""The demo's text: Python's own standard library source, which ships with every Python.

Real, varied text (code, docstrings, comments) of a few MB with no download. Characters
outside printable ASCII become "?" so the vocabulary stays under 100 symbols."""

from __future__ import annotations

import sysconfig
from dataclasses import dataclass
from pathlib import Path

_SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}


def stdlib_text(max_chars: int = 3_000_000) -> str:
    """Concatenated .py files of the standard library, in a fixed order, up to `max_chars`."""
    root = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    size = 0
    for path in sorted(root.rglob("*.py")):
        if _SKIP_DIRS.intersection(path.relative_to(root).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        parts.append(text)
        size += len(text)
        if size >= max_chars:
            break
    if not parts:
        raise RuntimeError(f"no Python source files found under {root}")
    joined = "\n".join(parts)[:max_chars]
    return "".join(c if (" " <= c <= "~") or c in "\n\t" else "?" for c in joined)


@dataclass
class Vocab:
    chars: str

    @classmethod
    def of(cls, text: str) -> Vocab:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = index.get("?", 0)
        return [index.get(c, unknown) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i] for i in ids)
