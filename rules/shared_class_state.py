"""SSOT009 shared-class-state: mutable class attributes shared by every user's instance."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ssot_lint.api import ASSIGN, CLASS, Binding, Definition, Invalid, LintRule, RuleContext, Valid, cst

from ._state import (
    ATTR_OPS,
    DEFAULT_FACTORY_CLASSES,
    DEFAULT_PER_USER_WORDS,
    FACTORY_CLASSES_OPTION,
    PER_USER_WORDS_OPTION,
    class_defined_at,
    class_ops,
    is_lock_call,
    matches_any,
    per_user_verdict,
    value_container_kind,
)
from ._state import (
    TABLES as STATE_TABLES,
)

_CTX = "class UserExecutionContext:\n    user_id: str\n"
_FILES = {"app/__init__.py": "", "app/context.py": _CTX}


class SharedClassState(LintRule):
    """
    ## What it does
    Flags a mutable class attribute (a dict, list, set, `defaultdict`, `deque`, ...
    assigned in the class body) that is changed in place through `self.`, `cls.`,
    `type(self).` or the class name (`self._sessions[key] = ...`, `cls._runs.append(...)`,
    `del Tracker._clients[k]`), on:

    - factory-managed classes (one instance per user, by contract) and their subclasses;
    - per-user classes: classes that hold per-user state (a dict, list or set attribute
      whose name or key type mentions `user`, `session`, `connection`, ...; option
      `per-user-words`), including the class attribute itself;
    - `*Factory` classes (option `factory-classes`).

    It also flags a class-level lock (`threading`/`asyncio`/`multiprocessing` `Lock`,
    `RLock`, `Semaphore`, `Condition`) on a managed or per-user class that is acquired
    through `self.`/`cls.`/the class name.

    A class attribute that `__init__` shadows with `self.x = ...` is only a default and
    is not flagged for `self.x` changes. Mutations in subclasses, in other modules,
    count. Read-only class tables are never flagged. Test code is not checked.

    ## Why is this bad?
    A class attribute exists once per process: every instance shares it, so every user
    does. A per-user engine that appends runs to a class-level list sees, and leaks,
    every other user's runs; a factory that counts engines in a class-level dict mixes
    the counts of all its instances. A class-level lock on a per-user class serializes
    all users behind one lock.

    ## Example
    ```python
    class UserSessionTracker:
        _sessions: dict[str, Session] = {}

        def track(self, session):
            self._sessions[session.id] = session
    ```

    Use instead:
    ```python
    class UserSessionTracker:
        def __init__(self):
            self._sessions: dict[str, Session] = {}
    ```

    ## Fix
    Move the attribute into `__init__` (`self._sessions = {}`) so that each instance,
    and therefore each user, has its own; create locks per instance too.
    """

    code = "SSOT009"
    name = "shared-class-state"
    summary = "Mutable class-level state shared by every user's instance"
    applies_to_tests = False
    FACTS = (ATTR_OPS,)
    TABLES = STATE_TABLES
    OPTIONS = {
        "per-user-words": PER_USER_WORDS_OPTION,
        "factory-classes": FACTORY_CLASSES_OPTION,
    }

    VALID = [
        Valid(
            "class Metrics:\n"
            "    _counters: dict = {}\n"
            "    def bump(self, name):\n"
            "        self._counters[name] = self._counters.get(name, 0) + 1\n"
        ),
        Valid(
            "class SessionTracker:\n"
            "    EVENT_NAMES = {'start': 'agent_started'}\n"
            "    _sessions: dict = {}\n"
            "    def __init__(self):\n"
            "        self._sessions = {}\n"
            "    def track(self, key, session):\n"
            "        self._sessions[key] = session\n"
            "        return self.EVENT_NAMES['start']\n"
        ),
        Valid(
            "import asyncio\n"
            "class EngineFactory:\n"
            "    _lock = asyncio.Lock()\n"
            "    async def create(self):\n"
            "        async with self._lock:\n"
            "            return 1\n"
        ),
        Valid(
            "class SessionTracker:\n"
            "    _sessions: dict = {}\n"
            "    def track(self, key, session):\n"
            "        self._sessions[key] = session\n",
            path="tests/test_tracker.py",
        ),
    ]
    INVALID = [
        Invalid(
            "class UserSessionTracker:\n"
            "    _sessions: dict = {}\n"
            "    def track(self, session_id, session):\n"
            "        self._sessions[session_id] = session\n",
            line=2,
            column=5,
            message=r"class-level dict `_sessions`.*line 4",
        ),
        Invalid(
            "from collections import defaultdict\n"
            "class EngineFactory:\n"
            "    _live = defaultdict(int)\n"
            "    @classmethod\n"
            "    def count(cls, user_id):\n"
            "        cls._live[user_id] += 1\n",
            column=5,
            line=3,
            message="`EngineFactory`",
        ),
        Invalid(
            "import threading\n"
            "class UserConnections:\n"
            "    _lock = threading.Lock()\n"
            "    def __init__(self):\n"
            "        self._connections: dict['UserId', list] = {}\n"
            "    def add(self, user_id, c):\n"
            "        with self._lock:\n"
            "            self._connections.setdefault(user_id, []).append(c)\n",
            column=5,
            line=3,
            message="lock",
        ),
        Invalid(
            "class Base:\n"
            "    _clients: list['ClientId'] = []\n"
            "class Tracker(Base):\n"
            "    def add(self, c):\n"
            "        Tracker._clients.append(c)\n",
            column=5,
            line=2,
            message=r"`Tracker._clients` at line 5",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.pending: dict[tuple[str, str], str] = {}

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        # The visitor's own decision (``class_state_findings``) for every class of the file.
        facts = context.facts
        if facts.syntax_error is not None:
            return True
        options = context.options_for(cls)
        for info in facts.defs.values():
            if info.kind != CLASS:
                continue
            found = class_defined_at(context.index, context.module, info.scope, info.name)
            if found is not None and next(class_state_findings(context, options, found), None) is not None:
                return True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        cls = class_defined_at(self.context.index, self.context.module, self.context.scope, node.name.value)
        if cls is None:
            return
        for name, message in class_state_findings(self.context, self.options, cls):
            self.pending[(cls.qualname, name)] = message

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target)

    def _target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            message = self.pending.pop((self.context.scope, target.value), None)
            if message is not None:
                self.report(target, message)


def class_state_findings(
    context: RuleContext, options: Mapping[str, Any], cls: Definition
) -> Iterator[tuple[str, str]]:
    """(attribute, message) for each class attribute of ``cls`` that SSOT009 reports.

    The visitor reports them at the attribute's assignment in the class body; the
    prefilter asks whether there is any. Cheap tests come first: a class without a
    class-level container or lock call costs no index lookup beyond the lock test.
    """
    index = context.index
    class_scope = context.facts.scopes.get(cls.qualname)  # `cls` is defined in this file
    if class_scope is None:
        return
    qual = cls.qualname
    candidates: list[tuple[str, str | None, Binding]] = []
    for name, bindings in class_scope.bindings.items():
        b = next((b for b in bindings if b.kind == ASSIGN), None)
        if b is None:
            continue
        kind = value_container_kind(b.value_kind, b.value)
        if kind is not None or (b.value_kind == "call" and is_lock_call(index, context.module, qual, b.value)):
            candidates.append((name, kind, b))
    if not candidates:
        return
    words: Sequence[str] = options.get("per-user-words", DEFAULT_PER_USER_WORDS)
    factories: Sequence[str] = options.get("factory-classes", DEFAULT_FACTORY_CLASSES)
    tests = context.config.test_paths
    why: str | None = None
    verdict = per_user_verdict(index, context.contract, cls, words, tests)
    lock_ok = verdict is not None
    if matches_any(cls.info.name, factories) and (verdict is None or verdict.managed is None):
        why = f"`{cls.qualname}` is a factory, serving every user"
    elif verdict is not None:
        why = verdict.describe()
    if why is None:
        return
    for name, kind, _b in candidates:
        if kind is not None:
            ops = class_ops(index, cls, name, "mutate", tests)
            if ops:
                reason = why
                if verdict is not None and verdict.state is not None and verdict.state.name == name:
                    reason = f"it holds per-user data ({verdict.state.word})"
                yield (
                    name,
                    (
                        f"class-level {kind} `{name}` of `{cls.qualname}` is shared by every instance, so by "
                        f"every user, and it is changed in place ({_where(context, ops)}); {reason}; create it in "
                        f"`__init__` instead"
                    ),
                )
        elif lock_ok:
            ops = class_ops(index, cls, name, "lock", tests)
            if ops:
                yield (
                    name,
                    (
                        f"class-level lock `{name}` of `{cls.qualname}` is one lock for every instance "
                        f"({_where(context, ops)}), so it serializes all users; {why}; create it in `__init__` instead"
                    ),
                )


def _where(context: RuleContext, ops) -> str:
    facts, (_, recv, attr, _, line) = ops[0]
    place = f"line {line}" if facts.path == context.path else f"{facts.path}:{line}"
    more = f", and {len(ops) - 1} more" if len(ops) > 1 else ""
    return f"`{recv}.{attr}` at {place}{more}"
