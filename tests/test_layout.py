"""The package's folders are its layers, and imports flow one way: down.

    api       gradcli/api.py, the Python API (evaluate, explain, graph, code): the top,
              beside cli, which it may use (cli's table layout) and which never imports it;
              it may build rich tables for a rich console, but never prints, reads the
              terminal or imports typer
    cli       the command line and the terminal: the only layer that imports typer,
              prints, or reads the terminal
    tutor     lessons, walkthroughs, the quiz and its catalogue of mistakes
    emit      the computation written as code, DOT or Mermaid
    report    table rows, notes and JSON documents as plain data
    modes     forward mode, the gradient check, symbolic partials
    language  the grammar, the parser and lowering to a tape
    core      the op contract, the tape, the sweeps, errors: imports nothing above it

A module may import from its own layer and the layers below it, never above.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"
LAYERS = ["core", "language", "modes", "report", "emit", "tutor", "cli"]
# Siblings that do not know each other: emitters and the tutor are separate branches.
RANK = {
    "core": 0,
    "language": 1,
    "modes": 2,
    "report": 3,
    "emit": 4,
    "tutor": 4,
    "cli": 5,
    "api": 6,
}
# Modules that are a layer of their own, outside any folder.
MODULE_LAYERS = {"api"}
TERMINAL_LIBRARIES = {"rich", "typer", "click", "pexpect", "termios", "tty"}
# What the api layer may import of them: rich, to hand a rich console its tables.
API_LIBRARIES = {"rich"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield path, parts


def _imports(path: Path, parts: tuple):
    """(line, absolute module) for every import in the file, lazy ones included."""
    package = ["gradcli", *parts[:-1]] if parts[-1] != "__init__" else ["gradcli", *parts[:-1]]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                if not node.module:  # from . import x: x may be a module
                    for alias in node.names:
                        yield node.lineno, module + "." + alias.name
                    continue
            else:
                module = node.module
            yield node.lineno, module


def _layer(parts: tuple):
    if len(parts) == 1:
        return parts[0] if parts[0] in MODULE_LAYERS else None
    return parts[0] if parts[0] in RANK else None


def test_every_module_lives_in_a_layer():
    loose = [
        p
        for p, parts in _modules()
        if len(parts) == 1 and parts[0] not in ("__init__", "__main__", *MODULE_LAYERS)
    ]
    assert not loose, f"modules outside any layer: {loose}"
    folders = {parts[0] for _, parts in _modules() if len(parts) > 1}
    assert folders <= set(LAYERS), folders - set(LAYERS)


def test_imports_flow_down():
    wrong = []
    for path, parts in _modules():
        mine = _layer(parts)
        if mine is None:
            continue
        for line, module in _imports(path, parts):
            pieces = module.split(".")
            if pieces[0] != "gradcli" or len(pieces) < 2 or pieces[1] not in RANK:
                continue
            theirs = pieces[1]
            if len(pieces) == 2 and theirs not in MODULE_LAYERS:
                continue  # `from gradcli import x`: the package, not a layer
            if theirs == mine:
                continue
            if RANK[theirs] >= RANK[mine]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} ({mine}) imports {module}")
    assert not wrong, "\n".join(wrong)


def test_only_the_cli_layer_touches_the_terminal():
    wrong = []
    for path, parts in _modules():
        if _layer(parts) == "cli" or parts[-1] == "__main__":
            continue
        allowed = API_LIBRARIES if _layer(parts) == "api" else set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                if any(n.split(".")[0] in TERMINAL_LIBRARIES - allowed for n in names):
                    wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {names}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("print", "input")
            ):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} calls {node.func.id}()")
            elif (
                isinstance(node, ast.Attribute)
                and node.attr in ("stdout", "stderr", "stdin")
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} uses sys.{node.attr}")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_a_wrong_import(tmp_path):
    """The rule can fail: a core module importing the CLI is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from ..cli.app import main\nimport rich\n")
    found = list(_imports(bad, ("core", "bad")))
    assert (1, "gradcli.cli.app") in found and (2, "rich") in found


def test_the_api_is_a_layer_at_the_top():
    """gradcli/api.py may use every layer, cli included; none may use it, and it may not
    import typer (the checks above see it: a cli module importing it is caught)."""
    assert _layer(("api",)) == "api" and RANK["api"] > RANK["cli"]
    found = list(_imports(PACKAGE / "api.py", ("api",)))
    assert any(m.startswith("gradcli.core.") for _, m in found)
    assert not any(m.split(".")[0] in ("typer", "click") for _, m in found)
    # gradcli/__init__.py, the package's front door, names the API (lazily); nothing else.
    others = [
        m
        for path, parts in _modules()
        if _layer(parts) != "api" and parts != ("__init__",)
        for _, m in _imports(path, parts)
    ]
    assert "gradcli.api" not in others
