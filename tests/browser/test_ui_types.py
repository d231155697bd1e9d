"""The UI's API types (ui/src/api/schema.d.ts) are generated from the server's OpenAPI schema
by openapi-typescript (`make ui`). This fails when the checked-in file is not what the server
says now: a route that changed shape fails here, with the command that fixes it, rather than
in a person's browser."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "ui" / "tools" / "openapi-types"
SCHEMA = ROOT / "ui" / "src" / "api" / "schema.d.ts"


def test_generated_types_match_the_server(tmp_path: Path) -> None:
    assert (TOOL / "node_modules" / ".bin" / "openapi-typescript").exists(), (
        f"openapi-typescript is not installed in {TOOL}: run `make ui`"
    )
    fresh = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(TOOL / "generate.sh"), sys.executable, str(fresh)], check=True, capture_output=True
    )
    want, have = fresh.read_text(), SCHEMA.read_text()
    diff = "".join(
        difflib.unified_diff(
            have.splitlines(True), want.splitlines(True), "checked in", "server", n=1
        )
    )
    assert want == have, (
        "ui/src/api/schema.d.ts is not what the server's OpenAPI schema gives now; run "
        f"`make ui` and commit it:\n{diff[:3000]}"
    )


def test_the_ui_names_its_types_from_the_generated_schema() -> None:
    types = (ROOT / "ui" / "src" / "api" / "types.ts").read_text()
    assert 'from "./schema"' in types
    assert "export interface RunOut" not in types, "RunOut is written by hand again"
    assert 'export type RunOut = S["RunOut"]' in types
