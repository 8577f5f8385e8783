"""Release hygiene: what the sdist and the wheel carry, metadata without machine-local caps,
and typer's newer line without pydantic on every run."""

import subprocess
import sys
import tarfile
import typing
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from gradcli import __version__
from gradcli.cli import typer_compat

ROOT = Path(__file__).resolve().parent.parent


def tracked_files(folder: str) -> set[str]:
    """Files under a folder of the repository: git's list in a checkout, else what is on disk
    (an unpacked sdist has no .git)."""
    if (ROOT / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        return {line for line in out.splitlines() if line}
    return {
        str(p.relative_to(ROOT))
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> set[str]:
    from hatchling.builders.sdist import SdistBuilder

    out = tmp_path_factory.mktemp("sdist")
    (path,) = SdistBuilder(str(ROOT)).build(directory=str(out))
    with tarfile.open(path) as tar:
        prefix = f"gradcli-{__version__}/"
        return {name[len(prefix) :] for name in tar.getnames() if name.startswith(prefix)}


@pytest.fixture(scope="module")
def wheel_metadata(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("gradcli-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(f"gradcli-{__version__}.dist-info/METADATA").decode()
    return Parser().parsestr(meta), names


@pytest.mark.parametrize("folder", ["examples", "docs", "tests", "benchmarks"])
def test_the_sdist_carries_every_file_the_tests_and_readme_use(sdist, folder):
    wanted = tracked_files(folder)
    assert wanted, folder
    assert not wanted - sdist, f"missing from the sdist: {sorted(wanted - sdist)[:5]}"


def test_the_sdist_carries_the_license_and_the_changelog(sdist):
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= sdist


def test_the_license_file_is_the_mit_license_the_metadata_names(wheel_metadata):
    meta, names = wheel_metadata
    assert meta["License-Expression"] == "MIT"
    assert "LICENSE" in meta.get_all("License-File")
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_metadata_has_authors_keywords_and_classifiers(wheel_metadata):
    meta, _ = wheel_metadata
    assert meta["Author"] or meta["Author-email"]
    assert "backpropagation" in meta["Keywords"]
    classifiers = meta.get_all("Classifier")
    assert "Environment :: Console" in classifiers
    assert "Programming Language :: Python :: 3.13" in classifiers


def test_no_dependency_is_capped_for_one_machine(wheel_metadata):
    """typer and torch are not capped: a cap downgrades a shared environment's typer and
    ties the benchmarks to one machine's torch build. (lark<2 is a major-version guard.)"""
    meta, _ = wheel_metadata
    for requirement in meta.get_all("Requires-Dist"):
        name = requirement.split(";")[0]
        if name.startswith(("typer", "torch")):
            assert "<" not in name, requirement


def test_the_changelog_has_a_section_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}]" in text
    assert "## [Unreleased]" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "f = a*b", "--a", "2", "--b", "3", "--seed", "4", "--output", "f"],
        ["graph", "a*b", "--a", "2", "--b", "3", "--depth", "3"],
    ],
)
def test_a_run_does_not_import_pydantic_whatever_the_typer_line(argv):
    """typer 0.29 converts options with pydantic; typer_compat converts gradcli's own."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradcli", *argv], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip()
        for line in p.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "typer" in imported
    assert not {m for m in imported if m.split(".")[0] == "pydantic"}


@pytest.mark.parametrize(
    "value, error", [("x", "'x' is not a valid int"), ("4.5", "'4.5' is not a valid int")]
)
def test_a_bad_integer_option_says_so_and_exits_2(value, error):
    p = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "a*b", "--a", "2", "--b", "3", "--seed", value],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2
    assert error in p.stderr
    assert "Traceback" not in p.stderr


def test_an_option_below_its_minimum_says_so_in_clicks_words():
    p = subprocess.run(
        [sys.executable, "-m", "gradcli", "graph", "a*b", "--a", "2", "--b", "3", "--depth", "0"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2
    assert "Invalid value for '--depth': 0 is not in the range x>=1." in p.stderr


def test_plain_option_types_are_recognised_and_others_left_to_typer():
    assert typer_compat._plain(str) is str
    assert typer_compat._plain(typing.Optional[int]) is int
    assert typer_compat._plain(float | None) is float
    assert typer_compat._plain(bool) is bool
    assert typer_compat._plain(list[str]) is None
    assert typer_compat._plain(typing.Union[int, str]) is None
    assert typer_compat._plain(Path) is None


@pytest.mark.parametrize(
    "kind, text, value",
    [
        (int, "3", 3),
        (int, "-12", -12),
        (float, "2.5", 2.5),
        (str, "x", "x"),
        (bool, "yes", True),
        (bool, "0", False),
        (bool, True, True),
    ],
)
def test_plain_conversion_is_clicks(kind, text, value):
    converted = typer_compat._convert(kind, text)
    assert converted == value and type(converted) is kind


@pytest.mark.parametrize("kind, text", [(int, "3.0"), (int, "x"), (float, "one"), (bool, "maybe")])
def test_plain_conversion_refuses_what_click_refuses(kind, text):
    with pytest.raises((ValueError, KeyError)):
        typer_compat._convert(kind, text)


def test_contributing_names_only_files_and_tests_that_exist():
    """CONTRIBUTING.md tells how to add an op, a topic, a misconception and a quiz template,
    with the tests that must accompany each: every file and test it names is there."""
    import re

    text = (ROOT / "CONTRIBUTING.md").read_text()
    for heading in (
        "Adding an op",
        "Adding a topic",
        "Adding a misconception",
        "Adding a quiz template",
    ):
        assert f"## {heading}" in text
    paths = set(re.findall(r"`((?:gradcli|tests)/[\w/.]+\.(?:py|json))`", text))
    assert paths
    for path in paths:
        assert (ROOT / path).exists(), path
    tests = set(re.findall(r"`(test_\w+)`", text))
    assert tests
    sources = "".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    for name in tests:
        assert f"def {name}(" in sources, name
    for name, module in re.findall(r"`([A-Z_]+)` in `(gradcli/[\w/]+\.py)`", text):
        assert re.search(rf"^{name}\b.*=", (ROOT / module).read_text(), re.M), (name, module)
