"""Read runs back in Python: `trainboard.Api`.

    import trainboard
    api = trainboard.Api()                       # the store init() writes to
    runs = api.runs(project="qwen-sft", config={"lr": (1e-5, 1e-4)})
    best = api.best_run(project="qwen-sft", metric="eval/loss")
    df = best.history(["train/loss", "eval/loss"])          # a pandas DataFrame
    table = runs.summary_frame(columns=["lr", "eval/loss"])  # one row per run
    cmp = api.compare([r.id for r in runs[:5]])             # what `compare --json` prints

`Api` opens the store; `Runs` is a query's lazy, paged result; `StoredRun` one run. The
numbers come from trainboard.analysis, so they equal the web page's and the HTTP API's.
docs/python_api.md documents every method.
"""

from trainboard.read.client import Api
from trainboard.read.run import StoredRun
from trainboard.read.runs import Runs

__all__ = ["Api", "Runs", "StoredRun"]
