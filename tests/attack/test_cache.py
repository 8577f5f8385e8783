"""The parse table's cache is used only when it checks out (issue 14): a cache folder others
can write to is ignored, a planted symlink is never written through, an edited or broken
table is rebuilt (never computed with, never a crash), and a relative cache location
puts nothing in the working folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradcli.language import table_cache

PROGRAM = "f = a*1000"


def run(env_extra: dict, cwd=None) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(env_extra)
    code = (
        "import sys; from gradcli.cli.app import main; sys.argv = ['gradcli', 'eval', "
        f"{PROGRAM!r}, '--a', '2', '--json']; main()"
    )
    # -c with the lark check: did this run build the table (lark imported) or read the cache?
    wrapper = (
        f"import sys, runpy\ntry:\n    exec({code!r})\nfinally:\n"
        "    sys.stderr.write('LARK=%s\\n' % ('lark' in sys.modules))"
    )
    return subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def gradient(p: subprocess.CompletedProcess) -> dict:
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)["gradient"]


def built(p: subprocess.CompletedProcess) -> bool:
    return "LARK=True" in p.stderr


def cached_file(folder: Path) -> Path:
    (path,) = folder.glob("parser-*.json")
    return path


def rewrite(path: Path, edit) -> None:
    """Edit the cached table and record a digest that checks out, as a user could."""
    table = json.loads(path.read_text().partition("\n")[2])
    edit(table)
    body = json.dumps(table)
    path.write_text(table_cache._digest(body) + "\n" + body)


def test_a_cache_is_written_read_and_private(tmp_path):
    folder = tmp_path / "c"
    assert built(run({"GRADCLI_CACHE_DIR": str(folder)}))
    assert not built(run({"GRADCLI_CACHE_DIR": str(folder)}))
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert not list(folder.glob("*.tmp")), "no temporary file left behind"


def test_an_edited_token_regex_is_never_computed_with(tmp_path):
    folder = tmp_path / "c"
    run({"GRADCLI_CACHE_DIR": str(folder)})
    path = cached_file(folder)
    digest, _, body = path.read_text().partition("\n")
    table = json.loads(body)
    # Without updating the digest: a NUMBER of one digit turns a*1000 into a*1 then 000 ...
    (number,) = [t for t in table["terminals"] if t[0] == "NUMBER"]
    number[1] = r"\d"
    path.write_text(digest + "\n" + json.dumps(table))
    p = run({"GRADCLI_CACHE_DIR": str(folder)})
    assert gradient(p) == {"a": 1000.0}
    assert built(p)  # ... so the table was rebuilt, not used


def test_a_table_that_checks_out_but_cannot_build_a_parser_is_rebuilt(tmp_path):
    folder = tmp_path / "c"
    run({"GRADCLI_CACHE_DIR": str(folder)})
    rewrite(cached_file(folder), lambda table: table.pop("states"))
    p = run({"GRADCLI_CACHE_DIR": str(folder)})
    assert gradient(p) == {"a": 1000.0}
    assert built(p)
    assert not built(run({"GRADCLI_CACHE_DIR": str(folder)}))  # and the cache is whole again


def test_a_cache_folder_others_can_write_to_is_ignored(tmp_path):
    folder = tmp_path / "shared"
    run({"GRADCLI_CACHE_DIR": str(folder)})
    path = cached_file(folder)
    os.chmod(folder, 0o777)
    # The planted table checks out but computes something else: it must not be read.
    rewrite(
        path,
        lambda table: [t for t in table["terminals"] if t[0] == "NUMBER"][0].__setitem__(1, r"\d"),
    )
    p = run({"GRADCLI_CACHE_DIR": str(folder)})
    assert gradient(p) == {"a": 1000.0}


@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0,
    reason="needs root to make a folder owned by another user",
)
def test_a_cache_folder_of_another_user_is_neither_read_nor_written(tmp_path):
    folder = tmp_path / "theirs"
    run({"GRADCLI_CACHE_DIR": str(folder)})
    rewrite(cached_file(folder), lambda table: None)
    os.chown(folder, 12345, 12345)
    before = sorted(p.name for p in folder.iterdir())
    p = run({"GRADCLI_CACHE_DIR": str(folder)})
    assert gradient(p) == {"a": 1000.0} and built(p)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_planted_symlink_is_replaced_not_written_through(tmp_path):
    folder = tmp_path / "c"
    run({"GRADCLI_CACHE_DIR": str(folder)})
    path = cached_file(folder)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path.unlink()
    path.symlink_to(victim)
    p = run({"GRADCLI_CACHE_DIR": str(folder)})
    assert gradient(p) == {"a": 1000.0}
    assert victim.read_text() == "precious"
    assert not path.is_symlink()  # the new table replaced the link itself


def test_the_temporary_file_name_cannot_be_predicted(tmp_path, monkeypatch):
    """An attacker who plants `<name>.<pid>.tmp` (the old scheme) catches nothing."""
    folder = tmp_path / "c"
    monkeypatch.setenv("GRADCLI_CACHE_DIR", str(folder))
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    name = table_cache._file_name("grammar text")
    (folder / Path(name).with_suffix(f".{os.getpid()}.tmp")).symlink_to(victim)
    table_cache.save("grammar text", {"grammar": "grammar text", "states": []})
    assert victim.read_text() == "precious"
    assert table_cache.load("grammar text") == {"grammar": "grammar text", "states": []}


@pytest.mark.parametrize(
    "env", [{"XDG_CACHE_HOME": "relative/cache"}, {"HOME": "", "XDG_CACHE_HOME": ""}]
)
def test_a_relative_cache_location_writes_nothing_where_the_user_stands(tmp_path, env):
    p = run(env, cwd=tmp_path)
    assert gradient(p) == {"a": 1000.0}
    assert list(tmp_path.iterdir()) == []


def test_the_platform_cache_folder_is_used_by_default(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    run({"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert list((tmp_path / "xdg" / "gradcli").glob("parser-*.json"))
