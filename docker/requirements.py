"""Print the requirements that ``pip install ".[EXTRAS]"`` would install, one per line.

Read from ``pyproject.toml`` alone, so an image can install gpudot's dependencies (CuPy above all)
in a layer that a code change does not invalidate. Usage: ``python requirements.py pyproject.toml
[EXTRA ...]``. References to the project's own extras (``gpudot[dask]``) are followed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def requirements(pyproject: Path, extras: list[str]) -> list[str]:
    """The project's dependencies plus those of ``extras``, self-references expanded."""
    project = tomllib.loads(pyproject.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    self_reference = re.compile(rf"^{re.escape(project['name'])}\[([^\]]+)\]$")
    unknown = sorted(set(extras) - set(optional))
    if unknown:
        raise SystemExit(f"{pyproject}: no extra named {', '.join(unknown)}; valid: {sorted(optional)}")
    result: list[str] = []
    pending = list(project.get("dependencies", []))
    for extra in extras:
        pending += optional[extra]
    while pending:
        requirement = pending.pop(0)
        nested = self_reference.match(requirement.replace(" ", ""))
        if nested:
            pending += [r for name in nested.group(1).split(",") for r in optional[name]]
        elif requirement not in result:
            result.append(requirement)
    return result


if __name__ == "__main__":
    print("\n".join(requirements(Path(sys.argv[1]), sys.argv[2:])))
