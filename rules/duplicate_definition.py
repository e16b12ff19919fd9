"""SSOT007 duplicate-definition: one SSOT class name, several classes."""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ssot_lint.api import (
    ALIAS,
    ASSIGN,
    CLASS,
    CONFIG,
    FROM,
    REFERENCE,
    AnalysisSession,
    Contract,
    Definition,
    Invalid,
    LintRule,
    ManagedClass,
    ModuleFacts,
    ModuleRow,
    NotifierClass,
    Option,
    ProjectIndex,
    ProjectTable,
    RuleContext,
    Valid,
    cst,
    names_from,
    register_family,
    session_of,
    test_code,
)

from ._notifiers import bare, is_test_double_name

DEFAULT_PATTERNS = ("*ExecutionContext", "*ExecutionEngine", "*EngineFactory", "*Notifier", "*Emitter", "*Registry")
ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
MOCK_BASES = frozenset({"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock"})

_ENGINE = "class ExecutionEngine:\n    def __init__(self, context):\n        self.context = context\n"
_FILES = {
    "app/__init__.py": "",
    "app/agents/__init__.py": "",
    "app/agents/execution_engine.py": _ENGINE,
    "app/routes.py": "from app.agents.execution_engine import ExecutionEngine\n",
    "app/admin.py": "from app.agents.execution_engine import ExecutionEngine\n",
}


@dataclass(frozen=True)
class Entry:
    """One definition (or rebinding) of a duplicated name that is not the canonical one."""

    module: str
    name: str
    kind: str  # "class" or "alias"
    target: str  # the fullname of the class it is (for an alias: of the class it names)
    message: str


@dataclass
class DuplicateTable:
    by_module: dict[str, list[Entry]] = field(default_factory=dict)


def _names_row(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, tuple[str, ...]]:
    """The module's path, and every name the table may look at in it: its module-level
    bindings (classes and aliases) and the bare names it references by import or by a
    dotted path (``_import_counts``). Its wanted names are the module's row of hits
    (``_hits_row``): a module with none is skipped without loading its facts."""
    names: set[str] = set(facts.module_scope.bindings)
    for scope in facts.scopes.values():
        for bindings in scope.bindings.values():
            for b in bindings:
                if b.kind == FROM:
                    names.add(b.name)
                elif b.kind == ALIAS and "." in b.target:
                    names.add(bare(b.target))
                elif b.kind == ASSIGN and b.value and "." in b.value:
                    names.add(bare(b.value))
    for info in facts.defs.values():
        names.update(bare(x) for x in (*info.bases, *info.return_calls) if "." in x)
    return facts.path, tuple(sorted(names))


def _wanted(session: AnalysisSession, patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Is a name one the table looks at: a contract class's bare name, or a pattern's match?
    (One regular expression for all patterns, and one answer per distinct name.) Asked for
    each module's row: the contract's names are gathered once per session, not per module
    (a contract inferred from a tree of 10,000 modules has thousands of classes)."""
    contract = session.contract
    assert contract is not None, "the duplicate candidates need a contract"
    names = session.cached(("duplicate-contract-names",), lambda: frozenset(_contract_names(contract)[0]))
    return _wanted_among(names, patterns)


@functools.lru_cache(maxsize=8)
def _wanted_among(bare_names: frozenset[str], patterns: tuple[str, ...]) -> Callable[[str], bool]:
    match = re.compile("|".join(fnmatch.translate(p) for p in patterns)).match if patterns else None
    answers: dict[str, bool] = {}

    def wanted(name: str) -> bool:
        found = answers.get(name)
        if found is None:
            found = answers[name] = name in bare_names or (match is not None and match(name) is not None)
        return found

    return wanted


@functools.cache
def _hits_row(arg: str) -> ModuleRow[tuple[str, tuple[str, ...]]]:
    """The module's path and the names of ``_names_row`` that the table wants, for the
    patterns ``arg`` (JSON) and the contract (the row reads it: ``reads_project``, kept
    under the run's salt). The candidates fold these rows, so a name added anywhere that
    no pattern wants (a new import, a module constant) leaves every row, and the
    candidates, as they were: nothing is folded again."""
    patterns = tuple(str(p) for p in json.loads(arg))

    def make(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, tuple[str, ...]]:
        wanted = _wanted(session_of(index), patterns)
        path, names = _names_row(facts, index)
        return path, tuple(n for n in names if wanted(n))

    return ModuleRow(f"duplicate-hits-{arg}", tuple[str, tuple[str, ...]], make, reads_project=True)


register_family("duplicate-hits-", _hits_row)


def _compute_candidates(session: AnalysisSession, arg: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    found = []
    for module, (path, hits) in session.index.rows(_hits_row(arg)).items():
        if hits:
            found.append((module, path, hits))
    return tuple(sorted(found))


def _restore_candidates(session: AnalysisSession, data: object) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The candidates back from their summary (kept in the cache: checked, raises if odd)."""
    if not isinstance(data, list):
        raise ValueError("not a list of candidates")
    found = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], str)):
            raise ValueError("not a candidate")
        found.append((item[0], item[1], tuple(sorted(names_from(item[2])))))
    return tuple(found)


# (module, path, the wanted names of its row), for the modules whose row names one: the
# table's only view of the rows. Its readers depend on its value, so a module-level name
# added anywhere that no pattern wants does not fold the duplicate table again.
CANDIDATES: ProjectTable[tuple[tuple[str, str, tuple[str, ...]], ...]] = ProjectTable(
    "duplicate-candidates", _compute_candidates, restore=_restore_candidates
)


def _compute_table(session: AnalysisSession, arg: str) -> DuplicateTable:
    contract, config = session.contract, session.config
    assert contract is not None and config is not None, "the duplicate table needs a contract"
    candidates = session.table(CANDIDATES, arg)
    return _build(session.index, contract, config.test_paths, candidates)


def _table_summary(table: DuplicateTable) -> list[tuple[str, str, str, str, str]]:
    return sorted(_entry_key(e) for entries in table.by_module.values() for e in entries)


# Every module's duplicate entries, for the patterns ``arg`` (JSON): a table the module
# tables (``ENTRIES``) read. What building it read (the candidates, and what the test-code
# and import counts consult: about every module) is kept once, with this table; a module's
# table reads only this one. When each module's table kept the whole build's reads itself,
# they were n tables of n names each: 100 million names on a 10,000-module tree.
WHOLE: ProjectTable[DuplicateTable] = ProjectTable("duplicate-table", _compute_table, _table_summary)


def _compute_entries(session: AnalysisSession, arg: str) -> tuple[Entry, ...]:
    module, _, patterns = arg.partition(":")
    found = session.table(WHOLE, patterns).by_module.get(module, ())
    return tuple(sorted(found, key=_entry_key))  # in the order of the summary (``_restore_entries``)


def _entry_key(e: Entry) -> tuple[str, str, str, str, str]:
    return (e.kind, e.name, e.target, e.message, e.module)


def _entries_summary(entries: tuple[Entry, ...]) -> list[tuple[str, str, str, str, str]]:
    return sorted(_entry_key(e) for e in entries)


def _restore_entries(session: AnalysisSession, data: object) -> tuple[Entry, ...]:
    """A module's entries back from their summary (kept in the cache: checked, raises if odd)."""
    if not isinstance(data, list):
        raise ValueError("not a list of entries")
    found = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 5 and all(isinstance(x, str) for x in item)):
            raise ValueError("not an entry")
        kind, name, target, message, module = item
        found.append(Entry(module, name, kind, target, message))
    return tuple(sorted(found, key=_entry_key))


# A module's duplicate entries, as a project table: a file depends on its own module's
# entries (``@table:duplicate-entries:<module>:<patterns>``), not on every module. Kept in
# the cache: a file linted again while nothing the table read changed (a leaf edited) reads
# its module's entries back instead of building the table from the candidates' facts.
ENTRIES: ProjectTable[tuple[Entry, ...]] = ProjectTable(
    "duplicate-entries", _compute_entries, _entries_summary, restore=_restore_entries
)


def module_entries(context: RuleContext, patterns: tuple[str, ...]) -> tuple[Entry, ...]:
    """The duplicate findings of the context's module (computed once per session)."""
    return context.session.table(ENTRIES, f"{context.module}:{json.dumps(list(patterns))}")


def _contract_names(contract: Contract) -> tuple[set[str], set[str]]:
    """(bare names of every contract class, dotted names the reference or the config pins).

    Only a class pinned by the reference or the config is canonical by itself: an
    inferred one (a factory's guess) competes with its namesakes on imports.
    """
    entries: list[ManagedClass | NotifierClass] = [*contract.managed, *contract.notifier_classes]
    names = {e.name for e in entries}
    names |= set(contract.context_classes) | {e.owner for e in contract.entry_points if e.owner}
    pinned = {e.name for e in entries if "." in e.name and e.origin in (REFERENCE, CONFIG)}
    return {bare(n) for n in names}, pinned


def _skipped(index: ProjectIndex, d: Definition) -> bool:
    """Enums, Protocols and test doubles are not SSOT classes."""
    if is_test_double_name(d.info.name):
        return True
    for c in index.mro(d):
        for base in c.info.bases:
            b = bare(base.split("[", 1)[0])
            if b in ENUM_BASES or b == "Protocol" or b in MOCK_BASES:
                return True
    return False


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _build(
    index: ProjectIndex,
    contract: Contract,
    test_paths: list[str],
    candidates: tuple[tuple[str, str, tuple[str, ...]], ...],
) -> DuplicateTable:
    tests = test_code(index, test_paths)
    _, dotted = _contract_names(contract)
    defs: dict[str, dict[str, Definition]] = {}  # name -> fullname -> class
    aliases: dict[str, list[tuple[str, Definition]]] = {}  # name -> (module, class it names)
    for module, path, names in candidates:
        if path.endswith(".pyi") or tests.is_test(path):
            continue
        facts = index.modules[module]
        mscope = facts.module_scope
        for name in names:  # the wanted ones of the row, which holds every module-level binding
            bindings = mscope.bindings.get(name)
            if not bindings:
                continue
            live = [b for b in bindings if not b.type_checking]
            if any(b.kind == CLASS for b in live):
                info = facts.defs.get(name)
                if info is not None and info.kind == CLASS:
                    d = Definition(facts.module, name, info)
                    if not _skipped(index, d):
                        defs.setdefault(name, {})[d.fullname] = d
                continue
            if any((b.kind == FROM and b.name != name) or b.kind == ALIAS for b in live):
                target = index.resolve(facts.module, "", name)
                if isinstance(target, Definition) and target.kind == CLASS and target.info.name != name:
                    if not _skipped(index, target):
                        aliases.setdefault(name, []).append((facts.module, target))
    dup_names = [
        n
        for n in set(defs) | set(aliases)
        if len(set(defs.get(n, {})) | {t.fullname for _, t in aliases.get(n, [])}) >= 2
    ]
    table = DuplicateTable()
    if not dup_names:
        return table
    counts = _import_counts(index, set(dup_names), tests, candidates)
    for name in sorted(dup_names):
        named = defs.get(name, {})
        classes = dict(named)
        for _m, t in aliases.get(name, []):
            classes.setdefault(t.fullname, t)
        canon, why = _canonical(name, named or classes, dotted, counts)
        where = f"`{canon.fullname}` ({why})"
        for d in named.values():
            if d.fullname == canon.fullname:
                continue
            others = len(classes)
            msg = (
                f"`{name}` is defined as {others} different classes; this one in `{d.module}` is not the "
                f"canonical {where}: code that imports `{name}` gets one or the other depending on the "
                "import path. Delete it and import the canonical class"
            )
            table.by_module.setdefault(d.module, []).append(Entry(d.module, name, "class", d.fullname, msg))
        for module, t in aliases.get(name, []):
            if t.fullname == canon.fullname:
                continue
            msg = (
                f"this binds `{name}` to `{t.fullname}`, a different class than the canonical "
                f"{where}: one name now refers to two classes. Import the canonical class, or keep the "
                f"other class under its own name `{t.info.name}`"
            )
            table.by_module.setdefault(module, []).append(Entry(module, name, "alias", t.fullname, msg))
    return table


def _import_counts(
    index: ProjectIndex, names: set[str], tests, candidates: tuple[tuple[str, str, tuple[str, ...]], ...]
) -> dict[str, int]:
    """How often each class is imported or referenced by its module across the index's
    non-test modules (what tests import says nothing about which class is the real one).

    Counted: ``from m import X``, ``Y = m.X``, ``x = m.X(...)``, ``class C(m.X)`` and
    ``return m.X(...)``.  Only names in ``names`` are resolved.
    """
    counts: dict[str, int] = {}

    def count(module: str, scope: str, dotted: str | None) -> None:
        if not dotted or bare(dotted) not in names:
            return
        target = index.resolve(module, scope, dotted.split("[", 1)[0])
        if isinstance(target, Definition) and target.kind == CLASS:
            counts[target.fullname] = counts.get(target.fullname, 0) + 1

    for module, path, mentioned in candidates:  # ``names`` are wanted: a module that mentions one is a candidate
        if tests.is_test(path) or names.isdisjoint(mentioned):
            continue
        facts = index.modules[module]
        for scope in facts.scopes.values():
            for bindings in scope.bindings.values():
                for b in bindings:
                    if b.kind == FROM and b.name in names:
                        target = index.module_member(b.target, b.name)
                        if isinstance(target, Definition) and target.kind == CLASS:
                            counts[target.fullname] = counts.get(target.fullname, 0) + 1
                    elif b.kind == ALIAS and "." in b.target:
                        count(facts.module, scope.qualname, b.target)
                    elif b.kind == ASSIGN and b.value and "." in b.value:
                        count(facts.module, scope.qualname, b.value)
        for info in facts.defs.values():
            for base in info.bases:
                if "." in base:
                    count(facts.module, info.scope, base)
            for callee in info.return_calls:
                if "." in callee:
                    count(facts.module, info.qualname, callee)
    return counts


def _canonical(name: str, candidates: dict[str, Definition], dotted: set[str], counts: dict[str, int]):
    for d in candidates.values():
        if d.fullname in dotted:
            return d, "the contract's class"

    def key(d: Definition):
        last = d.module.rsplit(".", 1)[-1]
        return (-counts.get(d.fullname, 0), last != _snake(name), d.module)

    best = min(candidates.values(), key=key)
    n = counts.get(best.fullname, 0)
    if n:
        return best, f"the most used definition, imported or referenced {n} time{'s' if n != 1 else ''}"
    return best, "chosen by module name: no definition is imported"


class DuplicateDefinition(LintRule):
    """
    ## What it does
    Flags a class name that the contract treats as a single source of truth (the
    user context, the engine, the factory, the notifier, the registry) or that
    matches a configurable pattern (default `*ExecutionContext`,
    `*ExecutionEngine`, `*EngineFactory`, `*Notifier`, `*Emitter`, `*Registry`;
    option `patterns`) when it is defined as a class in more than one non-test
    module. It also flags `Y = X` and `from m import X as Y` rebindings that make
    one of those names refer to a different class than its other definitions.

    Every definition is reported except the canonical one: the class the
    reference module or the config names by its dotted path (a class the contract
    only *inferred* from a factory is not canonical by itself), else the most
    imported definition (imports, and references through its module such as
    `class C(m.X)` or `m.X(...)`, are counted across the project's non-test
    modules), else the one in the module named after the class. The message names the canonical class. Enums, `Protocol`s,
    test doubles (`Fake*`, `Mock*`, `Stub*`, mock subclasses) and classes in
    test modules or `.pyi` stubs are not counted. A class defined twice in the
    same module (for example under `try`/`except ImportError`) is not reported.

    ## Why is this bad?
    Two classes called `ExecutionEngine` mean that which engine a caller gets
    depends on its import path: the factory may build one while the routes check
    `isinstance` against the other, registries are kept per class, and fixes land
    in one copy only. The seed project's incomplete migration left exactly such
    parallel copies behind.

    ## Example
    ```python
    # app/legacy/engine.py
    class ExecutionEngine:  # a second class under the canonical name
        ...
    ```

    Use instead:
    ```python
    # app/legacy/engine.py
    from app.agents.execution_engine import ExecutionEngine
    ```

    ## Fix
    Delete the duplicate and import the canonical class; if the second class is
    really something else, give it its own name.
    """

    code = "SSOT007"
    name = "duplicate-definition"
    summary = "SSOT class name defined as more than one class"
    applies_to_tests = False
    TABLES = (ENTRIES, WHOLE, CANDIDATES)
    OPTIONS = {
        "patterns": Option(
            "list[str]",
            list(DEFAULT_PATTERNS),
            "Class-name globs that must be defined only once (in addition to the contract's classes).",
        ),
    }

    VALID = [
        Valid("from app.agents.execution_engine import ExecutionEngine\nclass Other:\n    pass\n", files=_FILES),
        Valid(
            "from enum import Enum\n"
            "from typing import Protocol\n"
            "class ExecutionEngine(Protocol):\n"
            "    def run(self): ...\n"
            "class AgentRegistry(Enum):\n"
            "    A = 1\n"
            "class FakeExecutionEngine:\n"
            "    pass\n",
            files={**_FILES, "app/other.py": "from enum import Enum\nclass AgentRegistry(Enum):\n    B = 2\n"},
        ),
        Valid(
            "class ExecutionEngine:\n    pass\n",
            files=_FILES,
            path="tests/test_engine.py",
        ),
        Valid(
            "try:\n    from fastjson import JsonRegistry\nexcept ImportError:\n    class JsonRegistry:\n        pass\n",
            files=_FILES,
        ),
        Valid(
            "from app.agents.execution_engine import ExecutionEngine as Engine\nLegacyEngine = ExecutionEngine\n",
            files=_FILES,
        ),
        Valid(
            # The duplicate lives in app/legacy.py; nothing is reported here.
            "from app.agents.execution_engine import ExecutionEngine\n",
            files={
                "app/__init__.py": "",
                "app/agents/__init__.py": "",
                "app/agents/execution_engine.py": _ENGINE,
                "app/legacy.py": "class ExecutionEngine:\n    pass\n",
                "app/a.py": "from app.legacy import ExecutionEngine\n",
                "app/b.py": "from app.legacy import ExecutionEngine\n",
            },
            path="app/routes.py",
        ),
        Valid(
            # The contract names this module's class: it is the canonical one.
            "class ExecutionEngine:\n    pass\n",
            files=_FILES,
            path="app/legacy.py",
            config={"contract": {"managed": ["app.legacy.ExecutionEngine"]}},
        ),
    ]
    INVALID = [
        Invalid(
            # A class the contract only inferred (from its per-user factory) is not canonical by
            # itself, and imports from test modules do not count.
            "from app.context import UserExecutionContext\n"
            "class ExecutionEngine:\n"
            "    def __init__(self, context: UserExecutionContext):\n        self.context = context\n"
            "def create_engine_for_user(context: UserExecutionContext) -> ExecutionEngine:\n"
            "    return ExecutionEngine(context)\n",
            line=2,
            column=7,
            files={
                **_FILES,
                "app/context.py": "class UserExecutionContext:\n    pass\n",
                **{f"tests/test_{n}.py": "from app.engine_v2 import ExecutionEngine\n" for n in "abc"},
            },
            path="app/engine_v2.py",
            message=r"canonical `app\.agents\.execution_engine\.ExecutionEngine` \(the most used definition, "
            r"imported or referenced 2 times\)",
        ),
        Invalid(
            "class ExecutionEngine:\n    pass\n",
            line=1,
            column=7,
            files=_FILES,
            path="app/legacy.py",
            message=r"canonical `app\.agents\.execution_engine\.ExecutionEngine` \(the most used definition, "
            r"imported or referenced 2 times\)",
        ),
        Invalid(
            "class UserExecutionEngine:\n    pass\n\nExecutionEngine = UserExecutionEngine\n",
            line=4,
            column=1,
            files=_FILES,
            path="app/compat.py",
            message=r"binds `ExecutionEngine` to `app\.compat\.UserExecutionEngine`",
        ),
        Invalid(
            "from app.compat import UserExecutionEngine as ExecutionEngine\n",
            line=1,
            column=24,
            files={**_FILES, "app/compat.py": "class UserExecutionEngine:\n    pass\n"},
            path="app/v1.py",
            message="one name now refers to two classes",
        ),
        Invalid(
            "class WebSocketNotifier:\n    pass\n",
            column=7,
            line=1,
            files={
                **_FILES,
                "app/ws.py": "class WebSocketNotifier:\n    pass\n",
                "app/x.py": "from app.ws import WebSocketNotifier\n",
            },
            path="app/notify.py",
            message="`app.ws.WebSocketNotifier`",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        patterns = tuple(self.options.get("patterns", DEFAULT_PATTERNS))
        self.entries = list(module_entries(context, patterns))

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        if not context.module:
            return False
        patterns = tuple(context.options_for(cls).get("patterns", DEFAULT_PATTERNS))
        return bool(module_entries(context, patterns))

    def _entries(self, kind: str, name: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind and e.name == name]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.context.scope != "":
            return
        for e in self._entries("class", node.name.value):
            self.report(node.name, e.message)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.context.scope != "":
            return
        for t in node.targets:
            if isinstance(t.target, cst.Name):
                for e in self._entries("alias", t.target.value):
                    self.report(t.target, e.message)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if self.context.scope != "" or node.asname is None:
            return
        asname = node.asname.name
        if isinstance(asname, cst.Name):
            for e in self._entries("alias", asname.value):
                self.report(node, e.message)
