"""`trainboard export RUN --media DIR`: every item as a file (bytes as logged) with an index,
and the JSON export listing every item."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from cli_support import Invoke
from PIL import Image as PILImage

import trainboard


def _run() -> str:
    run = trainboard.init(project="p", name="media-export")
    for s in (0, 5):
        img = np.full((2, 3, 3), s * 40, np.uint8)
        run.log({"gen/samples": trainboard.Image(img, caption=f"at {s}")}, step=s)
    t = trainboard.Table(columns=["prompt", "image"])
    t.add_data("../../etc", trainboard.Image(np.zeros((2, 2), np.uint8)))
    run.log({"evals/../table": t}, step=5)
    run.finish()
    return run.id


def test_media_folder_with_an_index(invoke: Invoke, tmp_path: Path) -> None:
    rid = _run()
    out = tmp_path / "media"
    r = invoke("export", rid, "--media", str(out))
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and "wrote 3 media items" in r.stderr
    index = json.loads((out / "index.json").read_text())
    assert index["run"] == rid
    files = [(i["key"], i["step"], i["caption"], i["file"]) for i in index["items"]]
    assert files == [
        ("evals/../table", 5, None, "evals/_/table/step_000000005_0.json"),
        ("gen/samples", 0, "at 0", "gen/samples/step_000000000_0.png"),
        ("gen/samples", 5, "at 5", "gen/samples/step_000000005_0.png"),
    ]
    pixels = np.asarray(PILImage.open(io.BytesIO((out / files[2][3]).read_bytes())))
    assert (pixels == 200).all() and pixels.shape == (2, 3, 3)
    (cell,) = index["items"][0]["cells"].values()
    assert (out / cell).is_file() and cell.startswith("evals/_/table/cells/")
    table = json.loads((out / files[0][3]).read_text())
    assert table["columns"] == ["prompt", "image"] and table["rows"][0][0] == "../../etc"


def test_json_export_lists_every_item(invoke: Invoke, tmp_path: Path) -> None:
    rid = _run()
    out = tmp_path / "run.json"
    assert invoke("export", rid, "--format", "json", "-o", str(out)).exit_code == 0
    doc = json.loads(out.read_text())
    assert [(m["key"], m["step"], m["kind"]) for m in doc["media"]] == [
        ("evals/../table", 5, "table"),
        ("gen/samples", 0, "image"),
        ("gen/samples", 5, "image"),
    ]
    assert doc["media"][1]["url"] == f"/api/v1/media/{doc['media'][1]['digest']}"
