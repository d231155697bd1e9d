"""The UI's hand-written API types (ui/src/api/types.ts) name the same fields as the server's
OpenAPI schema, so a route that changes shape fails here rather than in a person's browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from trainboard.server.app import create_app

TYPES = Path(__file__).resolve().parents[2] / "ui" / "src" / "api" / "types.ts"

# TypeScript interface -> OpenAPI schema, where the names differ.
RENAMED = {
    "MetricSummary": "MetricSummaryOut",
    "Finding": "FindingOut",
    "SeriesOut": "SeriesColumnsOut",
    "SeriesResponse": "SeriesOut",
    "ApiErrorBody": "ErrorOut",
}
UI_ONLY = {"PointsEvent", "RunsQuery"}  # an SSE payload and query parameters, not bodies


def _interfaces(source: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in re.finditer(r"export interface (\w+) \{\n(.*?)\n\}", source, re.S):
        fields = re.findall(r"^  (\w+)\??:", m.group(2), re.M)
        out[m.group(1)] = set(fields)
    return out


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("types") / "trainboard.db"
    app = create_app(f"sqlite:///{db}")
    return dict(app.openapi()["components"]["schemas"])


def test_every_ui_type_matches_the_openapi_schema(schemas: dict[str, Any]) -> None:
    interfaces = _interfaces(TYPES.read_text())
    assert "RunOut" in interfaces and "ProgressOut" in interfaces, "types.ts was not parsed"
    checked = 0
    for name, fields in interfaces.items():
        if name in UI_ONLY:
            continue
        schema = RENAMED.get(name, name)
        assert schema in schemas, f"types.ts {name}: no OpenAPI schema {schema!r}"
        expected = set(schemas[schema].get("properties", {}))
        assert fields == expected, (
            f"types.ts {name} vs OpenAPI {schema}: "
            f"missing {sorted(expected - fields)}, extra {sorted(fields - expected)}"
        )
        checked += 1
    assert checked >= 10
