"""The integrations are extras: `import trainboard` imports none of them, and one whose package
is missing says the exact pip command."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_trainboard_does_not_import_the_frameworks() -> None:
    code = (
        "import sys, trainboard; names = ('transformers', 'lightning', 'keras', 'optuna', "
        "'IPython', 'ipykernel', 'trainboard.integrations.hf', "
        "'trainboard.integrations.lightning', 'trainboard.integrations.keras', "
        "'trainboard.integrations.optuna', 'trainboard.notebook'); "
        "print([n for n in names if n in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "blocked", "message"),
    [
        ("trainboard.integrations.hf", "transformers",
         "trainboard.integrations.hf needs transformers, which is not installed: "
         "pip install 'trainboard[hf]'"),
        ("trainboard.integrations.lightning", "lightning",
         "trainboard.integrations.lightning needs lightning, which is not installed: "
         "pip install 'trainboard[lightning]'"),
        ("trainboard.integrations.keras", "keras",
         "trainboard.integrations.keras needs keras, which is not installed: "
         "pip install 'trainboard[keras]'"),
        ("trainboard.integrations.optuna", "optuna",
         "trainboard.integrations.optuna needs optuna, which is not installed: "
         "pip install 'trainboard[optuna]'"),
    ],
)  # fmt: skip
def test_a_missing_extra_names_the_pip_command(module: str, blocked: str, message: str) -> None:
    # a None entry in sys.modules makes `import <blocked>` fail as if it were not installed
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "from trainboard.errors import MissingExtraError\n"
        f"try:\n    import {module}\nexcept MissingExtraError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == message


def test_notebook_without_ipython_names_the_pip_command() -> None:
    code = (
        "import sys; sys.modules['IPython'] = None\n"
        "import trainboard.notebook as nb\n"
        "from trainboard.errors import MissingExtraError\n"
        "print(nb.in_kernel())\n"
        "try:\n    nb._ipython()\nexcept MissingExtraError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "False",
        "trainboard.notebook needs ipython, which is not installed: "
        "pip install 'trainboard[notebook]'",
    ]
