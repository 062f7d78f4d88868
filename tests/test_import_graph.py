"""The import graph of the installed gpudot: no cycle, each folder imports only layers below,
and the shipped suite imports only the public API.

The graph is read with `ast` from the package's source, counting every import: module level,
inside functions (a lazy import still ties two modules together) and under ``TYPE_CHECKING``.
``gpudot.testing`` (the shipped conformance suite) is left out: it uses gpudot as a user would.

One rule per folder (`RULES`), from the bottom up:

- the tables beside every layer (``_errors``, ``_dtypes``, ``_tuning``, ``_user_warnings``)
  import only each other;
- ``_core/`` (descriptions, checks, algorithms on ``xp``) imports nothing above the tables;
- ``_config/`` (the settings) imports the core and the tables;
- ``backends/**`` (the interface, what every backend shares, one package per built-in backend)
  imports the settings, the core and the tables: never the registry, "auto" or the public
  functions. It reaches dispatch through `Backend.dispatch`, which `gpudot._dispatch.conversions`
  sets when gpudot is imported. ``backends/__init__.py``, the public names, is the front: it
  re-exports the registry's functions;
- ``_dispatch/`` (the backend in effect, the registry, "auto", conversions) imports the backends
  and everything below;
- ``_api/`` (the public functions) imports dispatch and everything below;
- ``_tools/`` and the package's front (``__init__``, ``__main__``, ``linalg``, ``backends``'
  ``__init__``) import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gpudot

PACKAGE = Path(gpudot.__file__).parent

TABLES = frozenset({"_errors", "_dtypes", "_tuning", "_user_warnings"})
CORE = TABLES | {"_core"}
CONFIG = CORE | {"_config"}
BACKENDS = CONFIG | {"backends"}
DISPATCH = BACKENDS | {"_dispatch"}
API = DISPATCH | {"_api"}
#: Folder (or top-level module) -> the folders its modules may import.
RULES: dict[str, frozenset[str]] = {
    **dict.fromkeys(TABLES, TABLES),
    "_core": CORE,
    "_config": CONFIG,
    "backends": BACKENDS,
    "_dispatch": DISPATCH,
    "_api": API,
}
#: What may import anything: the tools and the package's front.
FRONT = frozenset({"__init__", "__main__", "linalg", "backends/__init__", "_tools"})


def _modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``package`` but its test suite."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if not name.startswith(f"{package.name}.testing"):
            modules[name] = path
    return modules


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement of ``module`` names (modules or their attributes)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join([*parts[:keep], *([base] if base else [])])
    return [f"{base}.{alias.name}" for alias in node.names]


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its source."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _imported(node, name, path.name == "__init__.py"):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as its modules in import order (first repeated last), or None."""
    state: dict[str, str] = {}  # "open" while on the path, then "done"
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle is not None:
                return cycle
    return None


def folder_of(module: str) -> str:
    """The folder (or top-level module) of a dotted module name: ``gpudot._core.checks`` is in
    ``_core``, ``gpudot.backends.cupy._backend`` in ``backends``, ``gpudot.backends`` itself is
    ``backends/__init__`` and ``gpudot`` is ``__init__``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    if parts[1:] == ["backends"]:
        return "backends/__init__"
    return parts[1]


def layer_violations(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the imports its folder's rule does not allow (see the module docstring)."""
    found = {}
    for module, targets in sorted(import_graph(package).items()):
        allowed = RULES.get(folder_of(module))
        if allowed is None:
            continue  # the front and the tools
        extra = {target for target in targets if folder_of(target) not in allowed}
        if extra:
            found[module] = extra
    return found


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_each_folder_imports_only_the_layers_below_it():
    assert layer_violations() == {}


def test_every_folder_has_a_rule():
    """A new folder or top-level module gets a rule, or is named as part of the front."""
    folders = {folder_of(module) for module in import_graph()}
    assert folders - FRONT - set(RULES) == set()


def test_the_graph_sees_imports_inside_functions(tmp_path):
    package = tmp_path / "pkg"
    (package / "backends").mkdir(parents=True)
    (package / "_dispatch").mkdir()
    for folder in ("", "backends/", "_dispatch/"):
        (package / f"{folder}__init__.py").write_text("")
    (package / "_dispatch" / "a.py").write_text("from pkg.backends import b\n")
    (package / "backends" / "b.py").write_text("def f():\n    from .._dispatch import a\n")
    cycle = ["pkg._dispatch.a", "pkg.backends.b", "pkg._dispatch.a"]
    assert find_cycle(import_graph(package)) == cycle
    assert layer_violations(package) == {"pkg.backends.b": {"pkg._dispatch.a"}}


def private_imports_of_the_shipped_suite(package: Path = PACKAGE) -> dict[str, set[str]]:
    """``gpudot.testing`` module -> the private gpudot modules it imports (the shipped
    suite is the contract a backend author reads, so it uses only the public API and its own
    helpers)."""
    found: dict[str, set[str]] = {}
    for path in sorted((package / "testing").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == package.name and parts[1:2] != ["testing"]:
                    if any(part.startswith("_") for part in parts[1:]):
                        found.setdefault(path.stem, set()).add(name)
    return found


def test_the_shipped_suite_imports_only_public_gpudot(tmp_path):
    assert private_imports_of_the_shipped_suite() == {}
    package = tmp_path / "pkg"
    (package / "testing").mkdir(parents=True)
    (package / "testing" / "_oracle.py").write_text(
        "from pkg._bounds import error_bound\nfrom pkg.testing._inputs import x\nimport pkg.backends\n"
    )
    assert private_imports_of_the_shipped_suite(package) == {"_oracle": {"pkg._bounds"}}
