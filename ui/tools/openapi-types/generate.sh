#!/bin/sh
# ui/src/api/schema.d.ts from the server's OpenAPI schema (run by `make ui`; the test suite
# fails when the checked-in file differs from what the server says now).
#   generate.sh PYTHON OUT
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${1:-python3}
out=${2:-$here/../../src/api/schema.d.ts}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m trainboard.server.openapi_json > "$tmp/openapi.json"
"$here/node_modules/.bin/openapi-typescript" "$tmp/openapi.json" -o "$tmp/schema.d.ts" >/dev/null 2>&1 ||
  "$here/node_modules/.bin/openapi-typescript" "$tmp/openapi.json" -o "$tmp/schema.d.ts"
{
  echo "// Generated from the server's OpenAPI schema by ui/tools/openapi-types (make ui)."
  echo "// Do not edit: change the server's pydantic models and run \`make ui\`."
  cat "$tmp/schema.d.ts"
} > "$out"
