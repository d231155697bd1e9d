"""The `trainboard` command (also `python -m trainboard`).

Each command lives in its own module here and defines `register(app)`; this package imports
every public module in the folder (names not starting with "_") and calls it, so adding a
command is adding a module (an explicit `from trainboard.cli import NAME` line is harmless).
Commands are thin: they parse arguments, call trainboard.analysis / exporting / the store, and
print. Heavy imports (torch, the server) happen inside the commands that need them.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="trainboard",
    help="Watch training runs live, compare them, and keep the winners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="trainboard")
