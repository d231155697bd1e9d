"""Imports point down and never go round in a circle.

The layers (DESIGN.md, STYLE.md): foundation modules import nothing of ours above them;
integrations → sdk → store; cli, server and report → analysis → store. The read API (`read/`)
never imports the server: reading runs in a notebook must not load FastAPI. An import inside a
function still counts: hiding a cycle in a function body is how the old ones survived.

The package façade (`trainboard/__init__.py`, `__main__.py`) may import anything, lazily, and
nothing inside the package may import the façade: that is what keeps `import trainboard` light
and cycle-free.
"""

from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "trainboard"

# Rank of each top-level part: a module may import parts of its own rank or lower.
RANKS: dict[str, int] = {
    "errors": 0,
    "settings": 0,
    "jsonvalues": 0,
    "keys": 0,
    "limits": 0,
    "gcpause": 0,
    "roles": 0,
    "store": 1,
    "journal": 1,
    "analysis": 2,
    "exporting": 2,
    "mediaexport": 2,
    "report": 3,
    "alerts": 3,
    "sdk": 4,
    "server": 5,
    "read": 6,
    "integrations": 6,
    "tensorboard": 6,
    "notebook": 6,
    "wandb": 6,
    "wandb_run": 6,
    "demo": 7,
    "cli": 8,
}
# Parts that may not import each other although their ranks would allow it.
APART: set[tuple[str, str]] = {("read", "server")}
# trainboard.wandb is the same façade shaped as the `wandb` module (it stands in for it), and
# trainboard.wandb_run an entry point like __main__ (python -m trainboard.wandb_run SCRIPT).
FACADE = {"trainboard", "trainboard.__main__", "trainboard.wandb", "trainboard.wandb_run"}
# The demo is a user's training script: it imports the public façade, as users do.
FACADE_USERS = {"demo"}

# Edges that break the rules today, each with the issue that removes it. The list may only
# shrink: test_known_exceptions_still_exist fails once an entry is fixed and left here.
KNOWN: set[tuple[str, str]] = set()


def _module_name(path: pathlib.Path, src: pathlib.Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(src: pathlib.Path = SRC) -> dict[str, pathlib.Path]:
    return {_module_name(p, src): p for p in (src / "trainboard").rglob("*.py")}


def _runtime_nodes(tree: ast.AST, typing_too: bool) -> list[ast.AST]:
    """Every node, leaving out `if TYPE_CHECKING:` bodies unless `typing_too`. Both the layer
    rule and the cycle check count them: an import made only for annotations still ties two
    modules together (a reader of one must read the other, and a type moved to a lower module
    is what breaks such a loop; a string annotation would only hide it)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if (
            not typing_too
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _graph(src: pathlib.Path = SRC, typing_too: bool = True) -> dict[str, set[str]]:
    """Module → the trainboard modules it imports, at any depth in its body."""
    mods = _modules(src)
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path)), typing_too):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_pkg else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in mods else base)
            for t in targets:
                if t.startswith("trainboard") and t in mods and t != name:
                    edges[name].add(t)
    return edges


def _reached(graph: dict[str, set[str]], starts: list[str]) -> set[str]:
    """Every module imported, directly or through others, by the modules in `starts`."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        for n in graph.get(todo.pop(), ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def _remote_reaches_sql(src: pathlib.Path = SRC) -> list[str]:
    """The SQL engine's modules that the remote engine imports, at any distance."""
    remote = [m for m in _modules(src) if m.startswith("trainboard.store.remote")]
    reached = _reached(_graph(src), remote)
    return sorted(m for m in reached if m.startswith("trainboard.store.sql"))


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violations(root: pathlib.Path = SRC) -> set[tuple[str, str]]:
    bad: set[tuple[str, str]] = set()
    for src, targets in _graph(root).items():
        for dst in targets:
            if dst in FACADE and src not in FACADE and _part(src) not in FACADE_USERS:
                bad.add((src, dst))
            if src in FACADE or dst in FACADE:
                continue
            if RANKS[_part(dst)] > RANKS[_part(src)] or (_part(src), _part(dst)) in APART:
                bad.add((src, dst))
    return bad


def _cycles(src: pathlib.Path = SRC) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), imports under
    `if TYPE_CHECKING:` included."""
    graph = _graph(src)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(_modules(src)):
        if v not in index:
            visit(v)
    return found


def test_every_part_has_a_rank() -> None:
    parts = {_part(m) for m in _modules()} - {"", "__main__"}
    unranked = sorted(parts - set(RANKS))
    assert unranked == [], f"give these parts a rank in RANKS: {unranked}"


def test_no_import_cycles() -> None:
    """No module is reachable from itself, imports made only for annotations included (the
    SDK's helpers name the run by its `RunSurface` protocol, sdk/surface.py, for this)."""
    assert _cycles() == [], f"import cycles: {_cycles()}"


def test_imports_point_down() -> None:
    new = sorted(_violations() - KNOWN)
    assert new == [], "upward imports (or imports of the trainboard façade): " + ", ".join(
        f"{a} -> {b}" for a, b in new
    )


def test_known_exceptions_still_exist() -> None:
    assert sorted(KNOWN - _violations()) == []


def test_the_remote_store_imports_nothing_of_the_sql_store() -> None:
    """The remote engine runs in training processes that talk to a team server: it checks
    what the caller can check with the engines' shared checks (store/checks.py,
    store/prepared.py), never with the SQL engine's modules, whose imports (SQLAlchemy, the
    schema) such a process has no use for."""
    assert _remote_reaches_sql() == []


def test_importing_the_remote_store_loads_no_sqlalchemy() -> None:
    """The same, as Python sees it: a fresh interpreter that imports the remote engine has
    not imported SQLAlchemy (an import made at run time, which the graph above also counts,
    or one made by a package's __init__)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import trainboard.store.remote.store\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'"
        " or m.startswith('trainboard.store.sql')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=300,
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_the_checker_sees_hidden_cycles_and_upward_imports(tmp_path: pathlib.Path) -> None:
    """A cycle hidden in a function body, one closed by an import under TYPE_CHECKING, an
    upward import, an import of the façade and the remote engine reaching the SQL engine
    through a third module, in a small package of our own, are all reported (so the tests
    above could fail)."""
    files = {
        "__init__.py": "from trainboard.sdk.run import init\n",
        "store/__init__.py": "",
        "store/base.py": "def open_store():\n    from trainboard.store.sqlite import X\n",
        "store/sqlite.py": "from trainboard.store.base import open_store\nX = 1\n",
        "store/remote/__init__.py": "",
        "store/remote/client.py": "def send():\n    from trainboard.store.checks import check\n",
        "store/checks.py": "from trainboard.store.sql.rows import row as check\n",
        "store/sql/__init__.py": "",
        "store/sql/rows.py": "def row(): ...\n",
        "sdk/__init__.py": "",
        "sdk/run.py": "import trainboard\nfrom trainboard.cli import main\ndef init(): ...\n",
        "cli/__init__.py": "def main(): ...\n",
        "analysis/__init__.py": "",
        "analysis/a.py": "from trainboard.analysis.b import f\n",
        "analysis/b.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from trainboard.analysis.a import A\n"
            "def f(x: 'A') -> None: ...\n"
        ),
    }
    for rel, text in files.items():
        path = tmp_path / "trainboard" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert sorted(_cycles(tmp_path)) == [
        ["trainboard", "trainboard.sdk.run"],
        ["trainboard.analysis.a", "trainboard.analysis.b"],  # closed by an annotation import
        ["trainboard.store.base", "trainboard.store.sqlite"],
    ]
    assert _remote_reaches_sql(tmp_path) == ["trainboard.store.sql.rows"]  # by way of checks
    assert _violations(tmp_path) == {
        ("trainboard.sdk.run", "trainboard"),
        ("trainboard.sdk.run", "trainboard.cli"),
    }


def test_no_private_names_of_a_run_or_a_store_outside_their_class() -> None:
    """Helpers take `run.state` (sdk/state.py) and a store's `Database` (store/sql/db.py);
    nothing reaches into `run._…` or `store._…` from outside the class that owns them."""
    import re

    private = re.compile(r"\b(run|store|sql)\._[a-z]")
    found = []
    for path in sorted(PKG.rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if private.search(line):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert found == []


def test_the_package_reads_settings_not_wandbs_config() -> None:
    """`trainboard.config` is wandb's config (the current run's); a module that wants a
    setting imports `trainboard.settings`. `from trainboard import config` inside the package
    would type-check (the config answers any attribute) and fail when it runs."""
    import re

    wrong = re.compile(r"^\s*(from trainboard import config\b|import trainboard\.config\b)", re.M)
    found = [str(p.relative_to(SRC)) for p in PKG.rglob("*.py") if wrong.search(p.read_text())]
    assert found == []
