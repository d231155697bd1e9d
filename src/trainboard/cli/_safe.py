"""Printed names are safe: user text never reaches the terminal as control characters.

Run names, keys, notes, config values and logged texts are whatever the training script
wrote. Printed as they are, `ESC]0;...` retitles the window, `ESC]52;...` writes the
clipboard, `ESC[2J` clears the screen and U+202E reverses what follows. Every control
character (C0 but newline and tab, DEL, C1, and the bidirectional overrides) is shown as an
escape instead: `\\x1b`, `\\u202e`.

`SafeConsole` does it for everything the commands print through rich (tables, panels,
plain strings), before layout, so the columns still line up; `escape_controls` is the same
rule for text written to stdout directly, and `escape_json_controls` for JSON (where the
escape must be a JSON one, `\\u001b`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Span, Text

# C0 but \t and \n, DEL, C1, and the bidi embeddings, overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what orjson leaves unescaped (it escapes C0 itself)
_JSON_CONTROL = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character written as a visible escape (newlines and tabs
    kept)."""
    return _CONTROL.sub(lambda m: _shown(m.group()), text)


def escape_json_controls(text: str) -> str:
    """JSON text with the controls orjson leaves as they are (DEL, C1, bidi) escaped as
    `\\uXXXX`, which JSON reads back as the same character."""
    return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def escape_text(text: Text) -> Text:
    """A rich Text with its control characters escaped, its styles moved with the text."""
    plain = text.plain
    if not _CONTROL.search(plain):
        return text
    # new index of each old index, to move the style spans
    where = [0] * (len(plain) + 1)
    parts: list[str] = []
    at = 0
    for i, ch in enumerate(plain):
        where[i] = at
        piece = _shown(ch) if _CONTROL.match(ch) else ch
        parts.append(piece)
        at += len(piece)
    where[len(plain)] = at
    spans = [Span(where[s.start], where[min(s.end, len(plain))], s.style) for s in text.spans]
    return Text(
        "".join(parts),
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
        spans=spans,
    )


def _escaped(renderable: Any) -> Any:
    """`renderable` with its user text escaped: strings and Texts are replaced, the containers
    the commands use (tables, panels, groups, padding) have their parts escaped in place,
    before anything measures them (a table sizes its columns from its cells' text)."""
    if isinstance(renderable, str):
        return escape_controls(renderable)
    if isinstance(renderable, Text):
        return escape_text(renderable)
    if isinstance(renderable, Table):
        renderable.title = _escaped(renderable.title)
        renderable.caption = _escaped(renderable.caption)
        for column in renderable.columns:
            column.header = _escaped(column.header)
            column._cells = [_escaped(cell) for cell in column._cells]
    elif isinstance(renderable, Panel):
        renderable.renderable = _escaped(renderable.renderable)
        renderable.title = _escaped(renderable.title)
        renderable.subtitle = _escaped(renderable.subtitle)
    elif isinstance(renderable, Group):
        renderable._renderables = tuple(_escaped(r) for r in renderable._renderables)
    elif isinstance(renderable, Padding):
        renderable.renderable = _escaped(renderable.renderable)
    return renderable


class SafeConsole(Console):
    """A rich Console that escapes control characters in whatever it renders: strings, Texts
    and the parts of tables and panels before layout, and every other segment of text as a
    last resort."""

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        renderable = _escaped(renderable)
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROL.search(segment.text):
                yield Segment(escape_controls(segment.text), segment.style)
            else:
                yield segment
