"""`trainboard.__all__` is complete: every public name is listed and importable."""

from __future__ import annotations

import subprocess
import sys
import types

import trainboard


def test_all_lists_every_public_name_and_each_imports() -> None:
    public = {
        name
        for name, value in vars(trainboard).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in {"annotations"}
    } | set(trainboard._LAZY)  # imported on first use (trainboard.Api)
    assert public | {"__version__"} == set(trainboard.__all__)
    for name in trainboard.__all__:
        assert getattr(trainboard, name) is not None, name
    assert len(trainboard.__all__) == len(set(trainboard.__all__))


def test_import_is_light() -> None:
    code = (
        "import sys, trainboard; heavy = {'torch', 'numpy', 'fastapi', 'matplotlib', "
        "'lightning', 'sqlalchemy', 'transformers'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
