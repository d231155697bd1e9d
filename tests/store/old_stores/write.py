"""Write data.py's runs with whatever trainboard.store is on PYTHONPATH (see make.py)."""

from __future__ import annotations

import sqlite3
import sys

import data  # type: ignore[import-not-found]

from trainboard.store.base import (  # type: ignore[attr-defined]
    ArtifactRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    TextRecord,
    open_store,
)

url = sys.argv[1]
store = open_store(url)
for i, run in enumerate(data.RUNS):
    store.create_run(RunRecord(**run))
    batches = {k: PointBatch.of(*cols) for k, cols in data.series(i).items()}
    store.write_points(run["id"], batches)
    store.write_texts(run["id"], [TextRecord(*t) for t in data.TEXTS])
    store.write_histograms(run["id"], [HistogramRecord(**data.HISTOGRAM)])
    store.add_artifact(run["id"], ArtifactRecord(**data.ARTIFACT))
store.close()
conn = sqlite3.connect(url[len("sqlite:///") :])
conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
conn.execute("VACUUM")
conn.close()
