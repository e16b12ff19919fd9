"""The SSOT002/SSOT009 prefilters: precise (they ask the rules' own decisions of the facts) and sound.

Each case records what ``could_fire`` says for a file and what the rule reports there
when the prefilter is bypassed: a file must pass exactly when the rule reports in it
(the one documented over-approximation is SSOT002's `if __name__ == "__main__":` block).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, prefilter_soundness

from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules
from ssot_lint.testing import lint_example

RULES = load_rules()
SSOT002 = RULES.by_code("SSOT002")
SSOT009 = RULES.by_code("SSOT009")
_REAL = {rule: rule.could_fire.__func__ for rule in (SSOT002, SSOT009)}

STORE = """\
class SessionStore:
    def __init__(self):
        self._sessions: dict['SessionId', dict] = {}
"""
METRICS = """\
class Metrics:
    def __init__(self):
        self._counters: dict['CounterId', int] = {}
"""
BASE = {"app/__init__.py": "", "app/store.py": STORE, "app/metrics.py": METRICS}


def decide(
    monkeypatch,
    rule,
    code: str,
    files: dict[str, str] | None = None,
    path: str = "app/example.py",
    config: dict | None = None,
) -> tuple[bool, list[tuple[int, int]]]:
    """(``could_fire`` on ``path``, the (line, column) of the rule's findings there without the prefilter)."""
    decisions: dict[str, bool] = {}

    def spy(cls, context):
        decisions[context.path] = _REAL[rule](cls, context)
        return True  # the rule runs everywhere: its findings are not filtered

    with monkeypatch.context() as m:
        m.setattr(rule, "could_fire", classmethod(spy))
        result = lint_example(
            rule, textwrap.dedent(code), path=path, files={**BASE, **(files or {})}, config=config, rules=RULES
        )
    assert result.errors == []
    found = [(d.range.start.line, d.range.start.column) for d in result.diagnostics if d.code == rule.code]
    return decisions[path], found


# --- SSOT002 module-singleton ------------------------------------------------------------------
def test_ssot002_skips_module_level_instances_of_stateless_classes(monkeypatch):
    # Every binding is a module-level call or None: the old prefilter let this file through.
    code = """\
    import logging
    import threading
    from app.metrics import Metrics
    logger = logging.getLogger(__name__)
    _lock = threading.Lock()
    metrics = Metrics()
    _cached = None
    """
    assert decide(monkeypatch, SSOT002, code) == (False, [])


def test_ssot002_passes_a_module_level_per_user_instance(monkeypatch):
    code = "from app.store import SessionStore\nsession_store = SessionStore()\n"
    assert decide(monkeypatch, SSOT002, code) == (True, [(2, 1)])


@pytest.mark.parametrize(
    ("cls", "expected"),
    [("SessionStore", (True, [(2, 1)])), ("Metrics", (False, []))],
)
def test_ssot002_sentinel_depends_on_what_the_getter_stores(monkeypatch, cls, expected):
    code = f"""\
    from app import store, metrics
    _x = None
    def get():
        global _x
        if _x is None:
            _x = {"store" if cls == "SessionStore" else "metrics"}.{cls}()
        return _x
    """
    assert decide(monkeypatch, SSOT002, code) == expected


def test_ssot002_inherited_singleton_mechanism_from_another_module(monkeypatch):
    base = """\
    class Singleton:
        _instance = None
        def __new__(cls):
            if cls._instance is None:
                cls._instance = super().__new__(cls)
            return cls._instance
        def __init__(self):
            self.names = []
    """
    code = """\
    from app.single import Singleton
    class UserHub(Singleton):
        def __init__(self):
            self._users: dict['UserId', list] = {}
    """
    files = {"app/single.py": textwrap.dedent(base)}
    assert decide(monkeypatch, SSOT002, code, files) == (True, [(2, 7)])
    # The singleton base alone holds no per-user state (`names` is no per-user word): its file cannot fire.
    assert decide(monkeypatch, SSOT002, base, {"app/hub.py": textwrap.dedent(code)}, path="app/single.py") == (
        False,
        [],
    )


def test_ssot002_cached_getter_through_an_aliased_import(monkeypatch):
    code = """\
    from functools import lru_cache as memo
    from app.store import SessionStore
    @memo()
    def get_store():
        return SessionStore()
    """
    assert decide(monkeypatch, SSOT002, code) == (True, [(4, 5)])


def test_ssot002_cached_functions_that_are_not_process_wide(monkeypatch):
    code = """\
    import functools
    from app.store import SessionStore
    @functools.lru_cache(maxsize=None)
    def store_for(user_id):
        return SessionStore()
    class Holder:
        @functools.cache
        def store(self):
            return SessionStore()
    @functools.cache
    def metrics():
        from app.metrics import Metrics
        return Metrics()
    """
    assert decide(monkeypatch, SSOT002, code) == (False, [])


def test_ssot002_main_guard_is_the_documented_over_approximation(monkeypatch):
    code = "from app.store import SessionStore\nif __name__ == '__main__':\n    store = SessionStore()\n"
    assert decide(monkeypatch, SSOT002, code) == (True, [])


def test_ssot002_options_are_read_by_the_prefilter(monkeypatch):
    code = "from app.metrics import Metrics\nmetrics = Metrics()\n"
    config = {"rules": {"module-singleton": {"per-user-words": ["counter"]}}}
    assert decide(monkeypatch, SSOT002, code, config=config) == (True, [(2, 1)])
    config = {"rules": {"module-singleton": {"ignore-classes": ["Session*"]}}}
    code = "from app.store import SessionStore\nstore = SessionStore()\n"
    assert decide(monkeypatch, SSOT002, code, config=config) == (False, [])


# --- SSOT009 shared-class-state --------------------------------------------------------------------
TRACKER = """\
class UserSessionTracker:
    _sessions: dict['SessionId', object] = {}
    EVENTS = {"start": "agent_started"}
    def event(self, name):
        return self.EVENTS[name]
"""


def test_ssot009_skips_class_tables_that_nothing_changes(monkeypatch):
    # Class-level containers (the old prefilter's test) that are only read.
    assert decide(monkeypatch, SSOT009, TRACKER) == (False, [])


def test_ssot009_passes_a_class_whose_table_another_module_changes(monkeypatch):
    other = "from app.example import UserSessionTracker\ndef track(k, s):\n    UserSessionTracker._sessions[k] = s\n"
    assert decide(monkeypatch, SSOT009, TRACKER, {"app/use.py": other}) == (True, [(2, 5)])


def test_ssot009_skips_shared_state_of_classes_that_are_not_per_user(monkeypatch):
    code = """\
    import threading
    class Metrics:
        _counters: dict = {}
        _lock = threading.Lock()
        def bump(self, name):
            with self._lock:
                self._counters[name] = self._counters.get(name, 0) + 1
    """
    assert decide(monkeypatch, SSOT009, code) == (False, [])


def test_ssot009_passes_a_class_level_lock_of_a_per_user_class(monkeypatch):
    code = """\
    import threading
    class UserConnections:
        _lock = threading.Lock()
        def __init__(self):
            self._connections: dict['UserId', list] = {}
        def add(self, c):
            with self._lock:
                self._connections.clear()
    """
    assert decide(monkeypatch, SSOT009, code) == (True, [(3, 5)])


def test_ssot009_passes_a_class_nested_in_a_function(monkeypatch):
    code = """\
    def build():
        class RunLog:
            runs: list['RunId'] = []
            def add(self, r):
                self.runs.append(r)
        return RunLog
    """
    assert decide(monkeypatch, SSOT009, code) == (True, [(3, 9)])


# --- soundness and precision on the fixture projects ---------------------------------------------
@pytest.mark.parametrize("rule", [SSOT002, SSOT009], ids=lambda r: r.code)
@pytest.mark.parametrize("project", ["legacy_service", "clean_service"])
def test_prefilter_passes_exactly_the_files_with_findings(rule, project, monkeypatch):
    passed, flagged, _ = prefilter_soundness(RULES, rule, FIXTURES / project, monkeypatch)
    assert passed == flagged
    assert bool(flagged) == (project == "legacy_service")


# --- the prefilter's reads are the file's dependencies (warm runs) -----------------------------------
def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")


def _warm_findings(root: Path, code: str) -> list[tuple[str, int]]:
    linter = Linter(load_config(root), RULES, select=[code])
    result = linter.run([str(root)])
    return [(d.path, d.range.start.line) for d in result.diagnostics]


def test_cached_skip_is_invalidated_when_another_module_starts_mutating(tmp_path):
    root = tmp_path / "p"
    _write(
        root,
        {
            "pyproject.toml": '[project]\nname = "demo"\n',
            "app/__init__.py": "",
            "app/example.py": TRACKER,
            "app/use.py": "def track(k, s):\n    return k\n",
        },
    )
    assert _warm_findings(root, "SSOT009") == []
    _write(
        root,
        {
            "app/use.py": "from app.example import UserSessionTracker\ndef track(k, s):\n"
            "    UserSessionTracker._sessions[k] = s\n"
        },
    )
    assert _warm_findings(root, "SSOT009") == [("app/example.py", 2)]


def test_cached_skip_is_invalidated_when_the_class_gains_per_user_state(tmp_path):
    root = tmp_path / "p"
    _write(
        root,
        {
            "pyproject.toml": '[project]\nname = "demo"\n',
            "app/__init__.py": "",
            "app/store.py": "class SessionStore:\n    def __init__(self):\n        self.n = 0\n",
            "app/example.py": "from app.store import SessionStore\nstore = SessionStore()\n",
        },
    )
    assert _warm_findings(root, "SSOT002") == []
    _write(root, {"app/store.py": STORE})
    assert _warm_findings(root, "SSOT002") == [("app/example.py", 2)]


# --- every rule's documented examples give the same findings with and without the prefilter ---------
def _both_ways(rule, example) -> tuple[list, list, set[str]]:
    """(findings with the prefilter, findings without it, codes of the rules whose prefilter
    rejected the example's file) for one documented example."""
    from ssot_lint.rule import Valid
    from ssot_lint.testing import config_from

    if isinstance(example, str):
        example = Valid(example)
    cfg = config_from(example.config or {})
    rejected: set[str] = set()

    def spy(real, code):
        def could_fire(cls, context):
            fires = real(context)
            if not fires and context.path == example.path:
                rejected.add(code)
            return fires

        return classmethod(could_fire)

    out = []
    with pytest.MonkeyPatch.context() as m:
        for r in RULES.rules:
            m.setattr(r, "could_fire", spy(r.could_fire, r.code))
        for prefilter in (True, False):
            options = RunOptions(prefilter=prefilter)
            linter = Linter(cfg, RULES, select=[rule.code, *(cfg.select or [])], options=options)
            files = {**example.files, example.path: example.code}
            result = linter.lint_texts(files, [example.path])
            assert result.errors == []
            out.append(
                [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]
            )
    return out[0], out[1], rejected


def _examples_at_stake():
    """The examples where the prefilter could change the outcome: it rejects the file (so
    the rule runs only without it), or the rule fires (so dropping the file would lose a
    finding). An example the rule passes and the prefilter lets through compares nothing."""
    for rule in RULES.rules:
        for i, ex in enumerate([*rule.VALID, *rule.INVALID]):
            _, without, rejected = _both_ways(rule, ex)
            if rejected or without:
                why = "rejected" if rejected else "fires"
                yield pytest.param(rule, ex, id=f"{rule.code}-{i}-{why}")


AT_STAKE = list(_examples_at_stake())


def test_the_prefilter_equivalence_has_cases_of_both_kinds():
    ids = [p.id for p in AT_STAKE]
    assert any(i.endswith("-rejected") for i in ids), ids
    assert any(i.endswith("-fires") for i in ids), ids
    # SSOT002 and SSOT009 have sound, precise prefilters: some of their VALID examples are rejected.
    assert {i.split("-")[0] for i in ids if i.endswith("-rejected")} >= {"SSOT002", "SSOT009"}, ids


@pytest.mark.parametrize(("rule", "example"), AT_STAKE)
def test_examples_agree_with_and_without_prefilter(rule, example):
    with_prefilter, without, rejected = _both_ways(rule, example)
    assert rejected or without, "nothing at stake: the prefilter passes the file and the rule finds nothing"
    assert with_prefilter == without
