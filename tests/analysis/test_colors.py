"""A run's colour from its id, the same as the web UI's runColor (ui/src/lib/colors.ts)."""

from __future__ import annotations

import re
from pathlib import Path

from trainboard.analysis.colors import PALETTE, fnv1a, run_color

UI_COLORS = Path(__file__).parents[2] / "ui" / "src" / "lib" / "colors.ts"


def test_hash_matches_the_typescript_function() -> None:
    # values printed by the TypeScript hash() in node
    assert fnv1a("aaaa00000001") == 2963558406
    assert fnv1a("0123456789ab") == 759979345
    assert fnv1a("run-1") == 1016944636
    assert fnv1a("é€x") == 3306760128  # UTF-16 code units, as charCodeAt reads them
    assert run_color("aaaa00000001") == PALETTE[6]
    assert run_color("ff00ff00ff00") == PALETTE[1]


def test_palette_is_the_ui_palette() -> None:
    text = UI_COLORS.read_text()
    block = text[text.index("PALETTE") : text.index("] as const")]
    assert tuple(re.findall(r'"(#[0-9a-f]{6})"', block)) == PALETTE
