"""A job that only appends to train_log.jsonl, for `import jsonl --follow`: three lines, then
half a line (and LOG.partial), then waits for LOG.go to finish that line and write one more."""

import json
import os
import sys
import time

path = sys.argv[1]
with open(path, "a", buffering=1) as f:
    for step in range(3):
        f.write(
            json.dumps(
                {"step": step, "loss": 2.0 - step * 0.1, "seconds": step * 1.5, "model": "tiny-gpt"}
            )
            + "\n"
        )
        f.flush()
        time.sleep(0.05)
    f.write('{"step": 3, "loss": 1.')
    f.flush()
    open(path + ".partial", "w").close()
    while not os.path.exists(path + ".go"):
        time.sleep(0.05)
    f.write('7, "seconds": 4.5, "sample": "once upon a time"}\n')
    f.write(json.dumps({"step": 4, "loss": 1.6, "sample": "the end"}) + "\n")
    f.flush()
