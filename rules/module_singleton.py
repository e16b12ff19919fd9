"""SSOT002 module-singleton: process-wide instances of classes that hold per-user state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ssot_lint.api import (
    ASSIGN,
    CLASS,
    DefInfo,
    Definition,
    Invalid,
    LintRule,
    Option,
    RuleContext,
    Valid,
    cst,
    cst_dotted_name,
)

from ._state import (
    ATTR_OPS,
    DEFAULT_FACTORY_CLASSES,
    DEFAULT_IGNORE_CLASSES,
    DEFAULT_PER_USER_WORDS,
    FACTORY_CLASSES_OPTION,
    PER_USER_WORDS_OPTION,
    Verdict,
    class_defined_at,
    def_qualname,
    is_value_class,
    matches_any,
    per_user_verdict,
    qualified_name,
)
from ._state import (
    TABLES as STATE_TABLES,
)

_CACHE_DECORATORS = ("functools.lru_cache", "functools.cache")

_STORE = """\
class SessionStore:
    def __init__(self):
        self._sessions: dict[str, dict] = {}

    def put(self, session_id, data):
        self._sessions[session_id] = data
"""
_METRICS = """\
class Metrics:
    def __init__(self):
        self._counters: dict[str, int] = {}
"""
_FILES = {"app/__init__.py": "", "app/store.py": _STORE, "app/metrics.py": _METRICS}


class ModuleSingleton(LintRule):
    """
    ## What it does
    Flags process-wide instances of classes that hold per-user state, in these shapes:

    1. a lazy global getter: a module-level sentinel `_x = None` and a function that
       declares `global _x` and assigns `_x = SomeClass(...)` (reported at the sentinel,
       naming the getter);
    2. a module-level `x = SomeClass(...)`;
    3. a class whose `__new__` (or a classmethod such as `instance()`) returns a class
       attribute such as `cls._instance` or `cls._instances[cls]`, a class whose
       metaclass is a singleton metaclass, or a class decorated with a `@singleton`
       decorator (reported at the class; a subclass of such a class is one too);
    4. a zero-argument function decorated with `functools.lru_cache` / `functools.cache`
       that returns a class instance.

    Only project classes are considered, and only when they are factory-managed (the
    contract says one instance per user) or hold users' data: a dict, list or set
    attribute, set in `__init__` or at class level, whose key or element is a user's
    identity. That is known from the annotation (`dict[UserId, ...]`), from the keys
    the class stores under (`self._x[context.user_id] = ...`, `self._x[session_id]`,
    `self._x.setdefault(user_id, ...)`), or from the values it holds (instances of
    per-user classes: managed classes, the user context, notifiers). An identity is
    a per-user word followed by `id` or `key` (`user_id`, `connection_ids`,
    `SessionId`, `session_key`; words
    from option `per-user-words`: `user`, `session`, `connection`, `websocket`,
    `emitter`, `bridge`, `client`, `subscriber`, `run`, `thread`, `token`). A word
    in a name is not enough: a connection pool's `_connections`, a token revocation
    set, clients keyed by server name, a counter keyed by state name or a set of
    feature-flag domains are process-wide by design. Base classes are followed.

    It never flags loggers, routers, `TypeVar`/`NewType`/`ContextVar`, locks and other
    classes outside the project, enums, named tuples, frozen dataclasses, exceptions,
    settings/config classes and `*Factory` classes (whose per-user keyed state is the
    intended design; SSOT009 checks them). Names are configurable with
    `ignore-classes` and `factory-classes`. Test code and `if __name__ == "__main__":`
    blocks are not checked.

    ## Why is this bad?
    One instance per process means one instance for every user. Whatever per-user state
    it keeps (sessions, connections, runs) is visible to, and overwritten by, every
    other user's requests: events go to the wrong user, and data leaks between users.

    ## Example
    ```python
    class SessionStore:
        def __init__(self):
            self._sessions: dict[str, Session] = {}

    session_store = SessionStore()
    ```

    Use instead:
    ```python
    class SessionStoreFactory:
        def create_for_user(self, context: UserExecutionContext) -> SessionStore:
            return SessionStore(context)
    ```

    ## Fix
    Create the object per user (through its factory, from the request's
    `UserExecutionContext`) and pass it along, instead of keeping one per process. If
    it must be shared, keep the per-user state out of it and key it by user inside a
    factory.
    """

    code = "SSOT002"
    name = "module-singleton"
    summary = "Process-wide instance of a class that holds per-user state"
    applies_to_tests = False
    FACTS = (ATTR_OPS,)
    TABLES = STATE_TABLES
    OPTIONS = {
        "per-user-words": PER_USER_WORDS_OPTION,
        "ignore-classes": Option(
            "list[str]", list(DEFAULT_IGNORE_CLASSES), "Class name globs never reported (settings, config, ...)."
        ),
        "factory-classes": FACTORY_CLASSES_OPTION,
    }

    VALID = [
        Valid(
            "import logging\n"
            "import threading\n"
            "from contextvars import ContextVar\n"
            "from typing import NewType, TypeVar\n"
            "from app.metrics import Metrics\n"
            "logger = logging.getLogger(__name__)\n"
            "T = TypeVar('T')\n"
            "UserId = NewType('UserId', str)\n"
            "current_user: ContextVar[str] = ContextVar('current_user')\n"
            "_lock = threading.Lock()\n"
            "metrics = Metrics()\n",
            files=_FILES,
        ),
        Valid(
            "from app.store import SessionStore\n"
            "class SessionStoreFactory:\n"
            "    def __init__(self):\n"
            "        self._by_user: dict[str, SessionStore] = {}\n"
            "factory = SessionStoreFactory()\n",
            files=_FILES,
        ),
        Valid(
            "import enum\n"
            "from dataclasses import dataclass\n"
            "class Channel(enum.Enum):\n"
            "    USER = 'user'\n"
            "@dataclass(frozen=True)\n"
            "class Limits:\n"
            "    sessions: list\n"
            "class Settings:\n"
            "    def __init__(self):\n"
            "        self.websocket_origins: list[str] = []\n"
            "DEFAULT = Channel.USER\n"
            "LIMITS = Limits([])\n"
            "settings = Settings()\n",
            files=_FILES,
        ),
        Valid(
            "from app.store import SessionStore\n"
            "def make():\n"
            "    return SessionStore()\n"
            "if __name__ == '__main__':\n"
            "    store = SessionStore()\n",
            files=_FILES,
        ),
        Valid("from somelib import Client\nclient = Client()\n", files=_FILES),
        Valid("from app.store import SessionStore\nstore = SessionStore()\n", files=_FILES, path="tests/test_store.py"),
    ]
    INVALID = [
        Invalid(
            "from app.store import SessionStore\nsession_store = SessionStore()\n",
            line=2,
            column=1,
            files=_FILES,
            message=r"`session_store`.*`SessionStore`.*`_sessions`",
        ),
        Invalid(
            "from app.store import SessionStore\n"
            "_store = None\n"
            "def get_store():\n"
            "    global _store\n"
            "    if _store is None:\n"
            "        _store = SessionStore()\n"
            "    return _store\n",
            line=2,
            column=1,
            files=_FILES,
            message=r"`get_store\(\)`",
        ),
        Invalid(
            "class ConnectionRegistry:\n"
            "    _instance = None\n"
            "    def __new__(cls):\n"
            "        if cls._instance is None:\n"
            "            cls._instance = super().__new__(cls)\n"
            "        return cls._instance\n"
            "    def __init__(self):\n"
            "        self.connections: dict['ConnectionId', object] = {}\n",
            line=1,
            column=7,
            message=r"`__new__` returns `cls._instance`",
        ),
        Invalid(
            "import functools\n"
            "from app.store import SessionStore\n"
            "@functools.lru_cache(maxsize=None)\n"
            "def get_store():\n"
            "    return SessionStore()\n",
            line=4,
            column=5,
            files=_FILES,
            message="lru_cache",
        ),
        Invalid(
            "class UserRegistry:\n"
            "    _instance = None\n"
            "    def __init__(self):\n"
            "        self._users: dict['UserId', object] = {}\n"
            "    @classmethod\n"
            "    def instance(cls):\n"
            "        if cls._instance is None:\n"
            "            cls._instance = cls()\n"
            "        return cls._instance\n",
            column=7,
            line=1,
            message=r"`instance\(\)` returns `cls._instance`",
        ),
        Invalid(
            "class SingletonMeta(type):\n"
            "    _instances = {}\n"
            "    def __call__(cls, *args, **kwargs):\n"
            "        if cls not in cls._instances:\n"
            "            cls._instances[cls] = super().__call__(*args, **kwargs)\n"
            "        return cls._instances[cls]\n"
            "class SubscriberHub(metaclass=SingletonMeta):\n"
            "    def __init__(self):\n"
            "        self._subscribers: list['SubscriberId'] = []\n",
            column=7,
            line=7,
            message="metaclass",
        ),
        Invalid(
            "from app.store import SessionStore\nstore = SessionStore()\n",
            line=2,
            column=1,
            files=_FILES,
            config={"rules": {"module-singleton": {"per-user-words": ["tenant", "session"]}}},
            message="`_sessions`",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.judge = _Singletons(context, self.options)
        self.main_guard = 0
        self.reported_sentinels: set[str] = set()

    # --- prefilter -------------------------------------------------------------------------
    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        # The visitor's own decisions (``_Singletons``), asked of every candidate the facts
        # record; the `if __name__ == "__main__":` exemption is ignored (an over-approximation).
        if context.facts.syntax_error is not None:
            return True
        return _Singletons(context, context.options_for(cls)).could_report()

    # --- shapes 1 and 2: module-level assignments ---------------------------------------------
    def visit_If(self, node: cst.If) -> None:
        if _is_main_guard(node.test):
            self.main_guard += 1

    def leave_If(self, original_node: cst.If) -> None:
        if _is_main_guard(original_node.test):
            self.main_guard -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:  # `a = b = Store()` is one instance: report it once
            if self._module_binding(target.target, node.value):
                return

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._module_binding(node.target, node.value)

    def _module_binding(self, target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
        """Report a module-level sentinel or instance bound to ``target``; True when reported."""
        if self.context.scope != "" or self.main_guard or not isinstance(target, cst.Name):
            return False
        name = target.value
        if isinstance(value, cst.Name) and value.value == "None":
            return self._sentinel(target, name)
        if isinstance(value, cst.Call):
            found = self.judge.instance(cst_dotted_name(value.func))
            if found is not None:
                cls, verdict = found
                self.report(
                    target,
                    f"module-level `{name}` is one `{cls.qualname}` shared by every user, and "
                    f"{verdict.describe()}; create it per user (through a factory) instead",
                )
                return True
        return False

    def _sentinel(self, target: cst.Name, name: str) -> bool:
        if name in self.reported_sentinels:
            return False
        found = self.judge.sentinel(name)
        if found is None:
            return False
        info, cls, verdict = found
        self.reported_sentinels.add(name)
        role = "getter" if name in info.returns_names else "initialiser"
        self.report(
            target,
            f"`{name}` is a process-wide singleton: the {role} `{info.qualname}()` stores one "
            f"`{cls.qualname}` here for every user, and {verdict.describe()}; create it per user "
            f"(through a factory) instead",
        )
        return True

    # --- shape 3: singleton classes ------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        cls = class_defined_at(self.judge.index, self.context.module, self.context.scope, node.name.value)
        found = self.judge.singleton_class(cls) if cls is not None else None
        if cls is None or found is None:
            return
        mechanism, verdict = found
        self.report(
            node.name,
            f"`{cls.qualname}` is a singleton ({mechanism}) and {verdict.describe('it')}; every user "
            f"shares the one instance; create it per user (through a factory) instead",
        )

    # --- shape 4: cached zero-argument functions -------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators:
            return
        qual = def_qualname(self.context.scope, node.name.value)
        info = self.context.facts.defs.get(qual)
        found = self.judge.cached_function(info) if info is not None else None
        if found is None:
            return
        cache, cls, verdict = found
        self.report(
            node.name,
            f"`{qual}()` is cached with `{cache}` and takes no arguments, so it returns "
            f"one `{cls.qualname}` for every user, and {verdict.describe()}; create it per user "
            f"(through a factory) instead",
        )


class _Singletons:
    """SSOT002's decisions, over the file's facts and the project index.

    The visitor asks them at the nodes it visits, and ``could_fire`` asks them of every
    candidate the facts record, so the prefilter cannot drift from what the rule reports.
    """

    def __init__(self, context: RuleContext, options: Mapping[str, Any]) -> None:
        self.context = context
        self.index = context.index
        self.module = context.module
        self.facts = context.facts
        self.words: Sequence[str] = options.get("per-user-words", DEFAULT_PER_USER_WORDS)
        self.ignore: Sequence[str] = options.get("ignore-classes", DEFAULT_IGNORE_CLASSES)
        self.factories: Sequence[str] = options.get("factory-classes", DEFAULT_FACTORY_CLASSES)
        self._verdicts: dict[str, Verdict | None] = {}

    def could_report(self) -> bool:
        """Would the visitor report anything in the file (ignoring the `__main__` guard)?"""
        facts = self.facts
        for info in facts.defs.values():
            if info.kind == CLASS:
                cls = class_defined_at(self.index, self.module, info.scope, info.name)
                if cls is not None and self.singleton_class(cls) is not None:
                    return True
            elif info.decorators and self.cached_function(info) is not None:
                return True
        for name, bindings in facts.module_scope.bindings.items():
            for b in bindings:
                if b.kind != ASSIGN:
                    continue
                if b.value_kind == "call" and self.instance(b.value) is not None:
                    return True
                if b.value_kind == "none" and self.sentinel(name) is not None:
                    return True
        return False

    # --- the class test ---------------------------------------------------------------------
    def verdict(self, cls: Definition) -> Verdict | None:
        if cls.kind != CLASS:
            return None
        key = cls.fullname
        if key not in self._verdicts:
            self._verdicts[key] = self._compute_verdict(cls)
        return self._verdicts[key]

    def _compute_verdict(self, cls: Definition) -> Verdict | None:
        name = cls.info.name
        if matches_any(name, self.factories) or matches_any(name, self.ignore):
            return None
        if is_value_class(self.index, cls) is not None:
            return None
        return per_user_verdict(self.index, self.context.contract, cls, self.words, self.context.config.test_paths)

    def class_called(self, scope: str, callee: str | None) -> Definition | None:
        if not callee:
            return None
        target = self.index.resolve_definition(self.module, scope, callee)
        return target if target is not None and target.kind == CLASS else None

    # --- shapes 1 and 2: module-level assignments ---------------------------------------------
    def instance(self, callee: str | None) -> tuple[Definition, Verdict] | None:
        """A module-level ``x = callee(...)`` that builds one instance of a per-user class."""
        cls = self.class_called("", callee)
        verdict = self.verdict(cls) if cls is not None else None
        return None if cls is None or verdict is None else (cls, verdict)

    def sentinel(self, name: str) -> tuple[DefInfo, Definition, Verdict] | None:
        """A function that declares ``global name`` and stores a per-user class instance in it."""
        facts = self.facts
        for info in facts.defs.values():
            if info.kind == CLASS or name not in info.globals:
                continue
            scope = facts.scopes.get(info.qualname)
            if scope is None:
                continue
            for b in scope.bindings.get(name, ()):
                if b.kind != ASSIGN or b.value_kind != "call":
                    continue
                cls = self.class_called(info.qualname, b.value)
                verdict = self.verdict(cls) if cls is not None else None
                if cls is not None and verdict is not None:
                    return info, cls, verdict
        return None

    # --- shape 3: singleton classes ------------------------------------------------------------------
    def singleton_class(self, cls: Definition) -> tuple[str, Verdict] | None:
        """(the mechanism, the verdict) when ``cls`` is a reported singleton class."""
        mechanism = self._own_mechanism(cls)
        owner = cls
        if mechanism is None and cls.info.bases:  # without bases the MRO is the class alone
            for base in self.index.mro(cls)[1:]:
                mechanism = self._own_mechanism(base)
                if mechanism is not None:
                    owner = base
                    break
        if mechanism is None:
            return None
        verdict = self.verdict(cls)
        if verdict is None:
            return None
        if owner != cls:
            if self.verdict(owner) is not None:
                return None  # the base itself is reported
            mechanism = f"{mechanism}, inherited from `{owner.qualname}`"
        return mechanism, verdict

    def _own_mechanism(self, cls: Definition) -> str | None:
        info = cls.info
        facts = self.index.get_module(cls.module)
        new = facts.defs.get(f"{cls.qualname}.__new__") if facts else None
        if new is not None:
            first = new.params[0].name if new.params else "cls"
            for path in new.returns_attr_paths:
                parts = path.split(".")
                if len(parts) == 2 and parts[0] in (first, info.name) and _singleton_attr(parts[1]):
                    return f"`__new__` returns `{path.replace('[]', '[...]')}`"
        # `@classmethod def instance(cls): ... return cls._instance`, with a class attribute `_instance`.
        class_attrs = set(facts.scopes[cls.qualname].bindings) if facts and cls.qualname in facts.scopes else set()
        for member in info.members:
            method = facts.defs.get(f"{cls.qualname}.{member}") if facts else None
            if method is None or method.kind == CLASS or member == "__new__":
                continue
            kinds = {d.removesuffix("()").rsplit(".", 1)[-1] for d in method.decorators}
            if "classmethod" in kinds:
                roots = {method.params[0].name, info.name} if method.params else {info.name}
            elif "staticmethod" in kinds:
                roots = {info.name}
            else:
                continue
            for path in method.returns_attr_paths:
                parts = path.split(".")
                attr = parts[-1].removesuffix("[]")
                if len(parts) == 2 and parts[0] in roots and _singleton_attr(attr) and attr in class_attrs:
                    return f"`{member}()` returns `{path.replace('[]', '[...]')}`"
        for key, value in info.keywords:
            if key == "metaclass" and self._singleton_metaclass(cls, value):
                return f"metaclass `{value}`"
        for dec in info.decorators:
            if "singleton" in dec.removesuffix("()").rsplit(".", 1)[-1].lower():
                return f"decorator `@{dec.removesuffix('()')}`"
        return None

    def _singleton_metaclass(self, cls: Definition, expr: str) -> bool:
        meta = self.index.resolve_definition(cls.module, cls.info.scope, expr)
        if meta is None or meta.kind != CLASS:
            name = qualified_name(self.index, cls.module, cls.info.scope, expr) or expr
            return "singleton" in name.rsplit(".", 1)[-1].lower()
        for m in self.index.mro(meta):
            if "singleton" in m.info.name.lower():
                return True
            members = set(m.info.members)
            if "__call__" in members and any(_singleton_attr(n) for n in members):
                return True
        return False

    # --- shape 4: cached zero-argument functions -------------------------------------------------------
    def cached_function(self, info: DefInfo) -> tuple[str, Definition, Verdict] | None:
        """(the cache decorator, the class, its verdict) when ``info`` is a cached zero-argument
        function (or class/static method) that returns a per-user class instance."""
        if info.kind == CLASS or not info.decorators:
            return None
        cache = self._cache_name(info)
        if cache is None:
            return None
        params = [p for p in info.params if p.kind not in ("vararg", "kwarg")]
        in_class = self.index.enclosing_class(self.module, info.qualname) is not None
        decorators = {d.removesuffix("()").rsplit(".", 1)[-1] for d in info.decorators}
        if in_class and "classmethod" in decorators:
            params = params[1:]
        elif in_class and "staticmethod" not in decorators:
            return None  # a method cached per instance, not per process
        if params:
            return None
        for cls in self._returned_classes(info):
            verdict = self.verdict(cls)
            if verdict is not None:
                return cache, cls, verdict
        return None

    def _cache_name(self, info: DefInfo) -> str | None:
        for dec in info.decorators:
            name = qualified_name(self.index, self.module, info.scope, dec)
            if name in _CACHE_DECORATORS:
                return name.rsplit(".", 1)[-1]
        return None

    def _returned_classes(self, info: DefInfo) -> list[Definition]:
        out = []
        for callee in info.return_calls:
            cls = self.class_called(info.qualname, callee)
            if cls is not None:
                out.append(cls)
        scope = self.facts.scopes.get(info.qualname)
        for name in info.returns_names:
            for b in scope.bindings.get(name, ()) if scope else ():
                if b.kind == ASSIGN and b.value_kind == "call":
                    cls = self.class_called(info.qualname, b.value)
                    if cls is not None:
                        out.append(cls)
        return out


def _singleton_attr(name: str) -> bool:
    low = name.lower().removesuffix("[]")
    return "instance" in low or "singleton" in low


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    comp = test.comparisons[0]
    if not isinstance(comp.operator, cst.Equal):
        return False
    sides = [test.left, comp.comparator]
    names = [cst_dotted_name(s) for s in sides]
    strings = [s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)]
    return "__name__" in names and "__main__" in strings
