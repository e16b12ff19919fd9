"""SSOT compliance of the reference, checked by the real linter.

``ssot-lint check ssot_lint/reference`` reports nothing, and the factory module is the
only place that constructs engines, emitters and registries: every construction in the
package is in it, and a construction added anywhere else is reported.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from conftest import REPO, run_cli

from ssot_lint.config import load_config
from ssot_lint.contract import build_contract
from ssot_lint.facts import extract_facts
from ssot_lint.index import ProjectIndex, module_for_path

REFERENCE = REPO / "ssot_lint" / "reference"
FACTORY_MODULE = "ssot_lint.reference.execution_engine_factory"
PER_USER = {"UserExecutionEngine", "UserWebSocketEmitter", "AgentExecutionRegistry"}


def test_check_reference_reports_nothing() -> None:
    proc = run_cli("check", "ssot_lint/reference", "--format", "json", cwd=REPO)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["diagnostics"] == [] and doc["errors"] == []
    assert doc["summary"]["files"] == len(list(REFERENCE.glob("*.py")))


def test_contract_manages_engines_emitters_and_registries() -> None:
    contract = build_contract(load_config(REPO))
    assert {m.name for m in contract.managed} == PER_USER
    assert all(m.allowed_in[0] == FACTORY_MODULE for m in contract.managed)


def test_factory_module_is_the_only_place_that_constructs_them() -> None:
    facts = []
    for path in sorted(REFERENCE.glob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        module, is_package = module_for_path(rel)  # type: ignore[misc]
        facts.append(extract_facts(path.read_text(encoding="utf-8"), module, rel, is_package))
    index = ProjectIndex(facts)
    sites = []
    for fa in facts:
        for info in fa.defs.values():
            for call in info.calls:
                target = index.resolve_definition(fa.module, info.qualname, call.callee)
                if target is not None and target.qualname in PER_USER:
                    sites.append((fa.module, target.qualname, call.line))
    assert {name for _, name, _ in sites} == PER_USER
    assert {module for module, _, _ in sites} == {FACTORY_MODULE}, sites


def _copy_of_reference(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "ssot_lint").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "copy"\n', encoding="utf-8")
    (root / "ssot_lint" / "__init__.py").write_text("", encoding="utf-8")
    shutil.copytree(REFERENCE, root / "ssot_lint" / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    return root


SHORTCUT = """\
from ssot_lint.reference import notifier
from ssot_lint.reference.context import UserExecutionContext
from ssot_lint.reference.engine import UserExecutionEngine
from ssot_lint.reference.registry import AgentExecutionRegistry as Registry


def engine_without_factory(context: UserExecutionContext, transport) -> UserExecutionEngine:
    emitter = notifier.UserWebSocketEmitter(context, transport)
    registry = Registry(context.user_id)
    return UserExecutionEngine(context, emitter, registry)
"""


def test_a_construction_added_outside_the_factory_is_reported(tmp_path: Path) -> None:
    root = _copy_of_reference(tmp_path)
    assert run_cli("check", str(root / "ssot_lint" / "reference"), "--root", str(root)).returncode == 0
    (root / "ssot_lint" / "reference" / "shortcut.py").write_text(SHORTCUT, encoding="utf-8")
    proc = run_cli(
        "check", str(root / "ssot_lint" / "reference"), "--root", str(root), "--format", "json", "--select", "SSOT001"
    )
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    found = [(d["path"], d["range"]["start"]["line"], d["range"]["start"]["column"]) for d in doc["diagnostics"]]
    assert found == [
        ("ssot_lint/reference/shortcut.py", 8, 15),
        ("ssot_lint/reference/shortcut.py", 9, 16),
        ("ssot_lint/reference/shortcut.py", 10, 12),
    ]
    assert "allowed only in `ssot_lint.reference.execution_engine_factory`" in doc["diagnostics"][0]["message"]


def test_moving_the_factory_code_elsewhere_is_reported(tmp_path: Path) -> None:
    """A second 'factory' in another module of the package is not a factory: it is reported."""
    root = _copy_of_reference(tmp_path)
    extra = textwrap.dedent(
        """\
        from ssot_lint.reference.context import UserExecutionContext
        from ssot_lint.reference.registry import AgentExecutionRegistry


        def create_registry_for_user(context: UserExecutionContext) -> AgentExecutionRegistry:
            return AgentExecutionRegistry(context.user_id)
        """
    )
    (root / "ssot_lint" / "reference" / "registries.py").write_text(extra, encoding="utf-8")
    proc = run_cli("check", str(root), "--format", "concise", "--select", "SSOT001")
    assert (
        proc.stdout.decode()
        .splitlines()[0]
        .startswith("ssot_lint/reference/registries.py:6:12: SSOT001 `AgentExecutionRegistry` is constructed directly")
    )
