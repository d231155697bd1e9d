"""`python -m trainboard.server.openapi_json`: the API's OpenAPI schema as JSON on stdout, for
the UI's generated types (ui/tools/openapi-types). The schema does not depend on the store,
so the app is built over a throwaway SQLite file."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main() -> None:
    from trainboard.server.app import create_app

    with tempfile.TemporaryDirectory() as d:
        app = create_app(f"sqlite:///{Path(d) / 'schema.db'}")
        sys.stdout.write(json.dumps(app.openapi(), sort_keys=True, indent=1) + "\n")


if __name__ == "__main__":
    main()
