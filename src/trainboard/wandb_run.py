"""`python -m trainboard.wandb_run SCRIPT [ARGS...]` (or `-m MODULE [ARGS...]`): run an
unchanged wandb script with trainboard standing in for `wandb` (see trainboard.wandb)."""

from __future__ import annotations

import runpy
import sys

USAGE = "usage: python -m trainboard.wandb_run SCRIPT.py [ARGS...] | -m MODULE [ARGS...]"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    from trainboard.wandb import install

    install()
    if args[0] == "-m":
        if len(args) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(args[0])))
        runpy.run_path(args[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
