"""Issue 16 (precision on real code): test code anywhere in the tree, and the target version."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli

from ssot_lint.config import Config, ConfigError, parse_target_version, resolve_target_version

PEP701 = 'row = {"name": 1}\nprint(f"{row["name"]}")\n'


def _project(root: Path, files: dict[str, str], pyproject: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent(pyproject), encoding="utf-8")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _diagnostics(root: Path, *args: str) -> list[tuple[str, str, str]]:
    proc = run_cli("check", str(root), "--format", "json", "--no-cache", *args)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return [(d["code"], d["path"], d["message"]) for d in json.loads(proc.stdout)["diagnostics"]]


@pytest.mark.parametrize(
    "requires,expected",
    [(">=3.12", (3, 12)), (">=3.10,<4", (3, 10)), ("~=3.13", (3, 13)), (">3.11", (3, 12)), ("<4", None)],
)
def test_target_version_defaults_to_the_lowest_requires_python(tmp_path, requires, expected):
    root = _project(tmp_path, {}, f'[project]\nname = "x"\nrequires-python = "{requires}"\n')
    assert resolve_target_version(Config(root=root)) == expected


def test_target_version_setting_wins_and_bad_values_are_one_line_errors(tmp_path):
    root = _project(tmp_path, {}, '[project]\nname = "x"\nrequires-python = ">=3.8"\n')
    assert resolve_target_version(Config(root=root, target_version="py313")) == (3, 13)
    with pytest.raises(ConfigError, match="'target-version' must look like 'py312'"):
        parse_target_version("3.12", "pyproject.toml")
    bad = _project(tmp_path / "bad", {"a.py": "x = 1\n"}, '[tool.ssot-lint]\ntarget-version = "python3"\n')
    proc = run_cli("check", str(bad))
    assert proc.returncode == 2
    assert len(proc.stderr.decode().strip().splitlines()) == 1 and "target-version" in proc.stderr.decode()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the running parser accepts PEP 701 f-strings")
def test_file_valid_for_a_newer_target_cannot_be_analysed_rather_than_invalid(tmp_path):
    newer = _project(tmp_path / "newer", {"app/new.py": PEP701}, '[project]\nname = "x"\nrequires-python = ">=3.12"\n')
    [(code, path, message)] = _diagnostics(newer)
    assert (code, path) == ("SSOT000", "app/new.py")
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert message.startswith(f"cannot analyse with Python {running}; run ssot-lint on 3.12+ (target-version py312;")
    older = _project(tmp_path / "older", {"app/new.py": PEP701}, '[project]\nname = "x"\nrequires-python = ">=3.10"\n')
    [(code, _, message)] = _diagnostics(older)
    assert code == "SSOT000" and message.startswith("cannot parse: ")


def test_test_code_is_found_anywhere_in_the_tree(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/context.py": "class UserExecutionContext:\n    user_id: str\n",
        "app/engine.py": "class Engine:\n    def __init__(self, context):\n        self.context = context\n",
        "app/factory.py": (
            "from app.context import UserExecutionContext\nfrom app.engine import Engine\n"
            "def create_engine_for_user(context: UserExecutionContext) -> Engine:\n    return Engine(context)\n"
        ),
        # Test helpers inside packages: neither checked nor a source of inference.
        "app/tests/__init__.py": "",
        "app/tests/helpers.py": "from app.engine import Engine\nENGINE = Engine(None)\n",
        "app/sub/conftest.py": "from app.engine import Engine\nengine = Engine(None)\n",
        "app/sub/engine_test.py": "from app.engine import Engine\nengine = Engine(None)\n",
        "app/routes.py": "from app.engine import Engine\nengine = Engine(None)\n",
    }
    root = _project(tmp_path, files, '[project]\nname = "x"\n')
    found = _diagnostics(root, "--select", "SSOT001")
    assert [(c, p) for c, p, _ in found] == [("SSOT001", "app/routes.py")]
