"""The grammar ships: it loads from the repository (editable install) and from a built wheel."""

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_editable_install_reads_the_repository_grammar():
    from gradcli.language.syntax import grammar_path

    assert grammar_path() == ROOT / "gradcli" / "language" / "gradcli.lark"


def test_built_wheel_carries_the_grammar_and_runs_outside_the_repository(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("gradcli-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "gradcli/language/gradcli.lark" in names
        assert "gradcli/py.typed" in names  # PEP 561: type checkers read gradcli's hints
        zf.extractall(tmp_path / "site")
    # Run from a directory outside the repository, with the unpacked wheel first on the path
    # (its dependencies come from this environment).
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import gradcli.language.syntax as s; assert str(s.grammar_path()).startswith(sys.argv[1]), "
        "s.grammar_path(); from gradcli.cli.app import main; "
        "sys.argv = ['gradcli', 'eval', 'a*b', '--a', '2', '--b', '3', '--json']; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "GRADCLI_CACHE_DIR": str(tmp_path / "c")},
    )
    assert run.returncode == 0, run.stderr
    assert '"gradient"' in run.stdout and '"a": 3.0' in run.stdout


def test_the_python_api_works_from_an_installed_wheel_outside_the_repository(tmp_path):
    """The issue's must-hold line, from a wheel installed into a fresh environment (its
    dependencies from this one's site-packages), run where the repository is not."""
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("gradcli-*.whl")
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (target / "gradcli" / "py.typed").is_file()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import gradcli; "
        "assert gradcli.__file__.startswith(sys.argv[1]), gradcli.__file__; "
        "assert gradcli.evaluate('a*b', a=2, b=3).gradient == {'a': 3.0, 'b': 2.0}; "
        "print('ok')"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "GRADCLI_CACHE_DIR": str(tmp_path / "c")},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "ok\n"
