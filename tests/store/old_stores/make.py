"""Make the old stores in this folder: one SQLite store per commit whose store code changed the
schema or the chunk format, written by that commit's own code (kept, gzipped, as fixtures).

    python tests/store/old_stores/make.py     # from the repository root, with git history

Each commit is checked out in a temporary worktree and `write.py` runs against its src/.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
COMMITS = {
    "a059a49": "first release: 0001 as first written, chunk format 1 (one zstd frame)",
    "168f130": "chunk format 1 with per-column headers (same version byte)",
    "bfb5d96": "0001 edited: index on (created_at, id)",
    "562ed05": "chunk format 2",
    "bbad30b": "0001 edited: unbounded text columns",
    "b2d05b7": "0001 edited: summaries.packed",
    "39effae": "chunk format 3",
}


def main() -> None:
    for commit in COMMITS:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            commit], check=True, capture_output=True)  # fmt: skip
            try:
                db = Path(tmp) / "store.db"
                env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{HERE}"}
                subprocess.run([sys.executable, str(HERE / "write.py"), f"sqlite:///{db}"],
                               check=True, env=env, cwd=tmp)  # fmt: skip
                with open(db, "rb") as src, gzip.open(HERE / f"{commit}.db.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], check=True)  # fmt: skip
        print(commit, COMMITS[commit])


if __name__ == "__main__":
    main()
