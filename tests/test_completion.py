"""Shell completion (issue 12), driven as the shells drive it: typer's completion
environment variables (_GRADCLI_COMPLETE, COMP_WORDS/COMP_CWORD for bash,
_TYPER_COMPLETE_ARGS for zsh and fish) on a real gradcli process. Every value list is
compared with the table it comes from, never with a copy."""

import subprocess
import sys

from conftest import run_gradcli


def bash(*words: str, env=None) -> list:
    """What bash completes for the last word of `gradcli WORDS...`."""
    line = " ".join(["gradcli", *words])
    if words and words[-1] == "":
        line += " "  # completing a new, empty word
    result = run_gradcli(
        env={
            "_GRADCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words)),
            **(env or {}),
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.split()


def zsh(*words: str) -> str:
    line = " ".join(["gradcli", *words])
    result = run_gradcli(env={"_GRADCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_commands_complete():
    from gradcli.cli.app import app

    names = sorted(c.name for c in app.registered_commands)
    assert bash("") == names
    assert bash("e") == [n for n in names if n.startswith("e")] == ["eval", "explain"]
    assert bash("q") == ["quiz"]


def test_options_complete():
    assert bash("quiz", "--c") == ["--count", "--check-script"]
    assert "--json" in bash("explain", "--j") and bash("graph", "--f") == [
        "--format",
        "--file",
        "--from",
    ]
    # after the program and its values, as a user types them
    assert bash("eval", "a*b", "--a", "1", "--js") == ["--json"]


def test_explain_topics_come_from_the_tutors_table():
    from gradcli.tutor.topics import GATES, TOPICS

    assert set(bash("explain", "--topic", "")) == set(TOPICS) | set(GATES)
    assert bash("explain", "--topic", "fan") == ["fan-out"]
    assert set(bash("explain", "--topic", "d")) == {
        n for n in [*TOPICS, *GATES] if n.startswith("d")
    }


def test_quiz_topics_come_from_the_quizs_table():
    from gradcli.tutor.quizgen import ALIASES, TOPICS

    assert set(bash("quiz", "--topic", "")) == set(TOPICS) | set(ALIASES)
    assert bash("quiz", "--topic", "sig") == ["sigmoid"]


def test_option_values_complete():
    from gradcli.cli.commands.graph import FORMATS
    from gradcli.emit.codegen import LANGS
    from gradcli.language.dialects import DIALECTS
    from gradcli.modes.forward_mode import MODES

    assert bash("code", "--lang", "") == list(LANGS)
    assert bash("code", "a*b", "-l", "n") == ["numpy"]
    assert bash("graph", "--format", "") == list(FORMATS)
    assert bash("graph", "-F", "m") == ["mermaid"]
    assert bash("eval", "--mode", "") == list(MODES)
    assert bash("eval", "--from", "") == list(DIALECTS)
    assert bash("explain", "--from", "j") == ["js"]


def test_zsh_shows_each_lessons_summary():
    from gradcli.tutor.topics import TOPICS

    out = zsh("explain", "--topic", "fan")
    before, after = TOPICS["fan-out"].summary.split(":")  # zsh escapes the colon
    assert out.startswith("_arguments") and '"fan-out":"' + before in out and after in out
    assert "max-relu" not in out


def test_a_completion_run_does_not_run_the_command(tmp_path):
    # Completing after `-o FILE` must not write FILE or evaluate anything.
    out = tmp_path / "g.dot"
    assert bash("graph", "a*b", "--a", "1", "--b", "2", "-o", str(out), "--js") == ["--json"]
    assert not out.exists()


def test_show_and_install_completion(tmp_path):
    no_detection = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", "HOME": str(tmp_path)}
    shown = run_gradcli("--show-completion", "bash", env=no_detection)
    assert shown.returncode == 0, shown.stderr
    assert "_GRADCLI_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _gradcli_completion gradcli" in shown.stdout
    installed = run_gradcli("--install-completion", "bash", env=no_detection)
    assert installed.returncode == 0, installed.stderr
    script = tmp_path / ".bash_completions" / "gradcli.sh"
    assert script.read_text().strip() == shown.stdout.strip()
    assert str(script) in (tmp_path / ".bashrc").read_text()
    top = run_gradcli("--help")
    assert "--install-completion" in top.stdout and "--show-completion" in top.stdout


def test_the_completion_script_works_in_bash(tmp_path):
    """The script gradcli prints, sourced into a real bash, completes through gradcli."""
    script = run_gradcli(
        "--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    ).stdout
    shim = tmp_path / "gradcli"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m gradcli "$@"\n')
    shim.chmod(0o755)
    driver = (
        script + "\nCOMP_WORDS=(gradcli code --lang n); COMP_CWORD=3\n"
        "_gradcli_completion gradcli\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", driver],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy"]


def test_a_normal_run_loads_no_completion_table():
    """The value lists are read only when the shell asks: a scalar eval imports none of
    the tables they come from, while a completion run of the same interpreter does."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['gradcli'] + sys.argv[1:]\n"
        "try:\n    runpy.run_module('gradcli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write(' '.join(m for m in ('gradcli.tutor.topics', "
        "'gradcli.tutor.quizgen', 'gradcli.emit.codegen', 'gradcli.modes.forward_mode') "
        "if m in sys.modules))\n"
    )

    def loaded(*args, env=None):
        import os

        result = subprocess.run(
            [sys.executable, "-c", probe, *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, **(env or {})),
        )
        return result.stdout, result.stderr.split()

    out, mods = loaded("eval", "a*b", "--a", "1", "--b", "2", "--json")
    assert '"gradient"' in out and mods == []
    out, mods = loaded(
        env={
            "_GRADCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": "gradcli explain --topic fan",
            "COMP_CWORD": "3",
        }
    )
    assert out.split() == ["fan-out"] and "gradcli.tutor.topics" in mods
