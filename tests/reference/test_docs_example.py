"""The runnable example in docs/reference.md really runs."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def _runnable_block() -> str:
    match = re.search(r"<!-- example: runnable -->\s*```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match, "docs/reference.md lost its runnable example"
    return match.group(1)


def test_docs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_runnable_block(), str(DOC), "exec"), {"__name__": "docs_example"})
    output = capsys.readouterr().out
    assert "['3 hits for alice', '3 hits for bob']" in output
    assert "ws-alice ['agent_started', 'agent_thinking', 'tool_executing'" in output
    assert "refused: user 'carol' already has 2 live engine(s)" in output
    assert "live_engines=0" in output


def test_factory_module_docstring_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from ssot_lint.reference import execution_engine_factory

    docstring = execution_engine_factory.__doc__ or ""
    code = textwrap.dedent(docstring.split("::\n", 1)[1].split("\nWith a web framework", 1)[0])
    exec(compile(code, "execution_engine_factory docstring", "exec"), {"__name__": "docstring_example"})
    assert capsys.readouterr().out == "hello\n"


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = DOC.parents[1] / "README.md"
    match = re.search(r"<!-- example: readme-runnable -->\s*```python\n(.*?)```", readme.read_text(), re.DOTALL)
    assert match, "README.md lost its runnable example"
    exec(compile(match.group(1), str(readme), "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.splitlines() == [
        "hello alice",
        "['agent_started', 'agent_thinking', 'agent_completed']",
    ]
