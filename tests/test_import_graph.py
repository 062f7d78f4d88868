"""The import graph of gpudot: no cycle, backends are leaves, the shipped suite is public.

The graph is read with `ast` from the package's source, counting every import: module level,
inside functions (a lazy import still ties two modules together) and under ``TYPE_CHECKING``.
``gpudot.testing`` (the shipped conformance suite) is left out: it uses gpudot as a user would.

A backend module (``gpudot/backends/_*.py`` but the registry and ``"auto"``, which sit above the
backends and build or choose them) may import only:

- the backend interface and its own helpers: `gpudot.backends._base`, the Dask backend's chunk
  plan `gpudot.backends.dask._chunks`, the CUDA backend's out-of-memory executor
  `gpudot.backends.cupy._out_of_memory` and its check of the CUDA libraries
  `gpudot.backends.cupy._libraries`;
- the shared algorithms and product descriptions: `gpudot._core.algorithms`, `gpudot._core.checks`,
  the descriptions themselves `gpudot._core.descriptions`, the dtype tables `gpudot._dtypes`,
  `gpudot._core.tiling`, the NumPy backend's exact routes `gpudot.backends.numpy._exact` and its
  cost rule `gpudot.backends._cost_model`;
- settings, errors and warnings: `gpudot._errors`, `gpudot._user_warnings`,
  `gpudot._config.precision`, the out-of-memory policy `gpudot._config.out_of_memory`, the transfer
  policy `gpudot._config.transfer` (Dask applies it to chunks of two libraries meeting; the OOM
  executor lifts it for the copies it makes) and the measured constants `gpudot._tuning`;
- `gpudot._core.foreign_arrays`, the DLPack import of another library's host arrays.

Which backend owns an array, copying between backends and finding a backend by name are the
dispatch layer's (`gpudot._dispatch.conversions`, `gpudot._dispatch.registry`), reached through
`Backend.dispatch`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gpudot

PACKAGE = Path(gpudot.__file__).parent

BACKEND_IMPORTS = frozenset(
    {
        "gpudot.backends._base",
        "gpudot.backends.dask._chunks",
        "gpudot.backends.cupy._out_of_memory",
        "gpudot.backends.cupy._libraries",
        "gpudot._core.algorithms",
        "gpudot._core.checks",
        "gpudot._core.descriptions",
        "gpudot._dtypes",
        "gpudot._core.tiling",
        "gpudot.backends.numpy._exact",
        "gpudot.backends._cost_model",
        "gpudot._errors",
        "gpudot._user_warnings",
        "gpudot._config.precision",
        "gpudot._config.out_of_memory",
        "gpudot._config.transfer",
        "gpudot._tuning",
        "gpudot._core.foreign_arrays",
    }
)
#: Backend modules that sit above the backends: they build (registry) or choose ("auto") them.
ABOVE_BACKENDS = frozenset({"_registry.py", "_auto.py", "__init__.py"})


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


def foreign_imports(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Backend module -> the imports it is not allowed (see the module docstring)."""
    graph = import_graph(package)
    found = {}
    for path in sorted((package / "backends").glob("_*.py")):
        if path.name in ABOVE_BACKENDS:
            continue
        module = f"{package.name}.backends.{path.stem}"
        extra = graph[module] - BACKEND_IMPORTS - {package.name}
        if extra:
            found[module] = extra
    return found


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_backend_modules_import_only_the_interface_algorithms_and_settings():
    assert foreign_imports() == {}


def test_the_graph_sees_imports_inside_functions(tmp_path):
    package = tmp_path / "pkg"
    (package / "backends").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "backends" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from . import a\n")
    (package / "backends" / "_leaf.py").write_text("def f():\n    from pkg.a import x\n")
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.b", "pkg.a"]
    assert foreign_imports(package) == {"pkg.backends._leaf": {"pkg.a"}}


def private_imports_of_the_shipped_suite(package: Path = PACKAGE) -> dict[str, set[str]]:
    """``gpudot.testing`` module -> the private gpudot modules it imports (issue #30: the shipped
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
