"""SSOT002/SSOT008/SSOT009: the facts they read, their helpers, and behaviour beyond the examples."""

from __future__ import annotations

import pickle

import pytest
from conftest import run_cli
from ssot_lint.rules._state import (
    ATTR_OPS,
    container_kind,
    key_type,
    mentioned_word,
    parse_annotation,
    words_of,
)

from ssot_lint.codec import dumps, loads
from ssot_lint.facts import ModuleFacts, extract_facts
from ssot_lint.registry import load_rules
from ssot_lint.testing import lint_example

RULES = load_rules()
SSOT002 = RULES.by_code("SSOT002")
SSOT008 = RULES.by_code("SSOT008")
SSOT009 = RULES.by_code("SSOT009")


def _found(rule, code, files=None, path="app/example.py", config=None):
    result = lint_example(rule, code, path=path, files=files or {}, config=config, rules=RULES)
    assert result.errors == []
    return [(d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics if d.code == rule.code]


def _positions(found):
    return [(line, col) for line, col, _ in found]


# --- facts ------------------------------------------------------------------------------------------
FACTS_SRC = """\
import threading

class Tracker:
    _runs: dict = {}
    _lock = threading.Lock()

    def __init__(self, user_id):
        self.user_id = user_id
        self._sessions: dict[str, int] = {}
        self._clients = list()
        if user_id:
            self._tokens = set()

    def later(self):
        self._late = {}

    def add(self, key):
        self._runs[key] = 1
        del self._sessions[key]
        self._clients.append(key)
        type(self)._runs.pop(key)
        Tracker._runs.update({})
        self.count += 1
        with self._lock:
            pass
        self._lock.acquire()
        other.items.append(key)

    def __new__(cls):
        return cls._instances[cls]

@dataclass(frozen=True)
class Point:
    x: int
"""


def test_facts_record_init_attrs_attr_ops_and_returns():
    facts = extract_facts(FACTS_SRC, "app.m", "app/m.py", False)
    tracker = facts.defs["Tracker"]
    assert tracker.init_attrs == (
        ("user_id", "name", "", ""),
        ("_sessions", "dict", "", "dict[str, int]"),
        ("_clients", "call", "list", ""),
        ("_tokens", "call", "set", ""),
    )
    ops = {(scope, recv, attr, op, line) for scope, recv, attr, op, line in ATTR_OPS.of(facts)}
    assert ("Tracker.add", "self", "_runs", "mutate", 18) in ops
    assert ("Tracker.add", "self", "_sessions", "mutate", 19) in ops
    assert ("Tracker.add", "self", "_clients", "mutate", 20) in ops
    assert ("Tracker.add", "type(self)", "_runs", "mutate", 21) in ops
    assert ("Tracker.add", "Tracker", "_runs", "mutate", 22) in ops
    assert ("Tracker.add", "self", "count", "mutate", 23) in ops
    assert ("Tracker.add", "self", "_lock", "lock", 24) in ops
    assert ("Tracker.add", "self", "_lock", "lock", 26) in ops
    assert not any(recv == "other" for _, recv, *_ in ATTR_OPS.of(facts))  # lower-case receivers are not classes
    assert facts.defs["Tracker.__new__"].returns_attr_paths == ("cls._instances[]",)
    assert facts.defs["Point"].decorator_sources == ("dataclass(frozen=True)",)
    # What is stored into container attributes, and under which key (per-user evidence).
    assert ("_runs", "key", "literal") in tracker.keyed_attrs
    assert ("_clients", "", "name:key") in tracker.keyed_attrs
    assert ATTR_OPS.of(pickle.loads(pickle.dumps(facts))) == ATTR_OPS.of(facts)
    # The rule's own facts travel with the module's facts through the cache's typed JSON.
    assert ATTR_OPS.of(loads(dumps(facts), ModuleFacts)) == ATTR_OPS.of(facts)


# --- helpers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,word",
    [
        ("_user_sessions", "user"),
        ("activeWebSocketConnections", "websocket"),
        ("_runs", "run"),
        ("userid_map", "user"),
        ("subscribers", "subscriber"),
        ("have_run", None),  # a verb after an auxiliary
        ("to_thread", None),
        ("running", None),
        ("truncate", None),
        ("_counters", None),
    ],
)
def test_mentioned_word(name, word):
    words = ("user", "session", "connection", "websocket", "run", "thread", "subscriber")
    assert mentioned_word(name, words) == word


def test_words_of_splits_snake_and_camel_case():
    assert words_of("HTTPUserSession_ids") == ["http", "user", "session", "ids"]


@pytest.mark.parametrize(
    "annotation,head,args",
    [
        ("dict[str, Session]", "dict", ["str", "Session"]),
        ("Optional[Dict[UserId, list[int]]]", "Dict", ["UserId", "list[int]"]),
        ("'dict[str, X]'", "dict", ["str", "X"]),
        ("ClassVar[set[str]]", "set", ["str"]),
        ("dict[str, int] | None", "dict", ["str", "int"]),
        ("int", "int", []),
    ],
)
def test_parse_annotation(annotation, head, args):
    assert parse_annotation(annotation) == (head, args)


def test_container_kind_and_key_type():
    assert container_kind("dict", None, None) == "dict"
    assert container_kind("call", "collections.defaultdict", None) == "defaultdict"
    assert container_kind("call", "field", "list[str]") == "list"
    assert container_kind("call", "make_engine", None) is None
    assert container_kind("none", None, "dict[str, int]") is None  # a lazy None is not a container yet
    assert key_type("dict[UserId, Engine]") == "UserId"
    assert key_type("set[WebSocket]") == "WebSocket"
    assert key_type("int") is None


# --- SSOT002 ------------------------------------------------------------------------------------------
STORE = "class Store:\n    def __init__(self):\n        self._connections: dict['ConnectionId', list] = {}\n"
BASE_SINGLETON = (
    "class Singleton:\n"
    "    _instance = None\n"
    "    def __new__(cls, *a):\n"
    "        if cls._instance is None:\n"
    "            cls._instance = super().__new__(cls)\n"
    "        return cls._instance\n"
)


@pytest.mark.parametrize(
    "text,word",
    [
        ("user_id", "user"),
        ("context.user_id", "user"),
        ("'UserId'", "user"),
        ("connection_ids", "connection"),
        ("SessionID", "session"),
        ("_UpstreamSessionKey", "session"),
        ("connections", None),
        ("cache_key", None),
        ("session_pool", None),
        ("user_count", None),
        ("str", None),
        ("server_name", None),
        ("state", None),
    ],
)
def test_identity_word_needs_an_identity_not_a_word(text, word):
    from rules._state import DEFAULT_PER_USER_WORDS, identity_word

    assert identity_word(text, DEFAULT_PER_USER_WORDS) == word


def test_ssot002_key_type_counts_and_bases_are_followed():
    files = {
        "app/__init__.py": "",
        "app/base.py": "class Base:\n    def __init__(self):\n        self._by_key: dict['UserId', list] = {}\n",
        "app/hub.py": "from app.base import Base\nclass Hub(Base):\n    pass\n",
    }
    found = _found(SSOT002, "from app.hub import Hub\nhub = Hub()\n", files)
    assert len(found) == 1
    assert "keyed by `'UserId'`" in found[0][2] and "inherited from `Base`" in found[0][2]


def test_ssot002_inherited_singleton_base_reports_the_subclass_only():
    code = (
        BASE_SINGLETON
        + "class Registry(Singleton):\n    def __init__(self):\n        self.sessions: dict['SessionId', int] = {}\n"
    )
    found = _found(SSOT002, code)
    assert _positions(found) == [(7, 7)]
    assert "inherited from `Singleton`" in found[0][2]


def test_ssot002_ignore_classes_option_and_factories():
    files = {"app/__init__.py": "", "app/store.py": STORE}
    code = "from app.store import Store\nstore = Store()\n"
    assert len(_found(SSOT002, code, files)) == 1
    config = {"rules": {"module-singleton": {"ignore-classes": ["Store"]}}}
    assert _found(SSOT002, code, files, config=config) == []
    factory = "class StoreFactory:\n    def __init__(self):\n        self._users = {}\nfactory = StoreFactory()\n"
    assert _found(SSOT002, factory) == []


def test_ssot002_managed_class_at_module_level():
    files = {"app/__init__.py": "", "app/engine.py": "class ExecutionEngine:\n    pass\n"}
    config = {"contract": {"managed": ["ExecutionEngine"]}}
    found = _found(
        SSOT002, "from app.engine import ExecutionEngine\nENGINE = ExecutionEngine()\n", files, config=config
    )
    assert _positions(found) == [(2, 1)]
    assert "factory-managed" in found[0][2]


def test_ssot002_cached_method_with_self_is_not_process_wide():
    code = (
        "import functools\n" + STORE + "class Holder:\n"
        "    @functools.cache\n"
        "    def store(self):\n"
        "        return Store()\n"
        "    @classmethod\n"
        "    @functools.cache\n"
        "    def shared(cls):\n"
        "        return Store()\n"
    )
    found = _found(SSOT002, code)
    assert _positions(found) == [(11, 9)]


def test_ssot002_could_fire_is_false_without_candidates():
    from ssot_lint.engine import Linter
    from ssot_lint.testing import config_from

    linter = Linter(config_from({}), RULES, select=["SSOT002", "SSOT008", "SSOT009"])
    src = "def f(x):\n    return x + 1\n"
    facts = extract_facts(src, "app.m", "app/m.py", False)
    from ssot_lint.context import RuleContext
    from ssot_lint.index import ProjectIndex

    ctx = RuleContext("app/m.py", "app.m", facts, ProjectIndex([facts]), linter.config, linter.contract, False)
    assert not SSOT002.could_fire(ctx)
    assert not SSOT008.could_fire(ctx)
    assert not SSOT009.could_fire(ctx)


# --- SSOT008 ------------------------------------------------------------------------------------------
CTX_FILES = {
    "app/__init__.py": "",
    "app/context.py": "class UserExecutionContext:\n    user_id: str\n",
    "app/factory.py": (
        "from app.context import UserExecutionContext\n"
        "class Engine:\n"
        "    def __init__(self, context):\n"
        "        self.context = context\n"
        "class ExecutionEngineFactory:\n"
        "    def create_for_user(self, context: UserExecutionContext):\n"
        "        return Engine(context)\n"
    ),
}


def test_ssot008_override_of_an_entry_point_without_annotation():
    code = (
        "from app.factory import ExecutionEngineFactory\n"
        "class Cached(ExecutionEngineFactory):\n"
        "    def create_for_user(self, context):\n"
        "        if not hasattr(self, '_e'):\n"
        "            self._e = super().create_for_user(context)\n"
        "        return self._e\n"
    )
    found = _found(SSOT008, code, CTX_FILES)
    assert _positions(found) == [(6, 16)]
    assert "contract entry point" in found[0][2]


def test_ssot008_setdefault_and_class_storage():
    code = (
        "from app.context import UserExecutionContext\n"
        "class BridgeFactory:\n"
        "    _shared: dict = {}\n"
        "    def for_agent(self, context: UserExecutionContext, agent):\n"
        "        return self._shared.setdefault(agent, object())\n"
        "    def for_user_agent(self, context: UserExecutionContext, agent):\n"
        "        return BridgeFactory._shared.setdefault((context.user_id, agent), object())\n"
        "    @classmethod\n"
        "    def create_default(cls, context: UserExecutionContext):\n"
        "        return cls._default\n"
    )
    found = _found(SSOT008, code, CTX_FILES)
    assert _positions(found) == [(5, 16), (10, 16)]
    assert "keyed by `agent`" in found[0][2]
    assert "stored on the class" in found[1][2]


def test_ssot008_primitive_return_and_non_container_attribute_are_not_reported():
    code = (
        "from app.context import UserExecutionContext\n"
        "class LimitFactory:\n"
        "    def __init__(self, client):\n"
        "        self._client = client\n"
        "    def create_limit(self, context: UserExecutionContext) -> int:\n"
        "        return self._limit\n"
        "    def create_request(self, context: UserExecutionContext):\n"
        "        return self._client.get(context.user_id)\n"
    )
    assert _found(SSOT008, code, CTX_FILES) == []


def test_ssot008_user_key_through_a_local_and_configured_words():
    code = (
        "from app.context import UserExecutionContext\n"
        "class EngineFactory:\n"
        "    def __init__(self):\n"
        "        self._cache: dict = {}\n"
        "    def create_engine(self, context: UserExecutionContext, tenant):\n"
        "        key = (tenant, 'engine')\n"
        "        return self._cache[key]\n"
    )
    assert len(_found(SSOT008, code, CTX_FILES)) == 1
    config = {"rules": {"shared-factory-product": {"user-key-words": ["user", "tenant"]}}}
    assert _found(SSOT008, code, CTX_FILES, config=config) == []


# --- SSOT009 ------------------------------------------------------------------------------------------
def test_ssot009_mutation_in_a_subclass_in_another_module():
    files = {
        "app/__init__.py": "",
        "app/sub.py": (
            "from app.example import Base\nclass Sub(Base):\n    def add(self, s):\n        self._sessions.append(s)\n"
        ),
    }
    found = _found(SSOT009, "class Base:\n    _sessions: list['SessionId'] = []\n", files)
    assert _positions(found) == [(2, 5)]
    assert "app/sub.py:4" in found[0][2]


def test_ssot009_lock_only_on_per_user_classes_and_only_when_used():
    code = (
        "import asyncio\n"
        "class Tracker:\n"
        "    _lock = asyncio.Lock()\n"
        "    _unused_lock = asyncio.Lock()\n"
        "    def __init__(self):\n"
        "        self._users: dict['UserId', int] = {}\n"
        "    async def add(self, u):\n"
        "        async with self._lock:\n"
        "            self._users[u] = 1\n"
    )
    found = _found(SSOT009, code)
    assert _positions(found) == [(3, 5)]


def test_ssot009_suppression_comment():
    code = "class Tracker:\n    _sessions: list['SessionId'] = []  # noqa: SSOT009\n    def add(self, s):\n        self._sessions.append(s)\n"
    assert _found(SSOT009, code) == []


# --- CLI ------------------------------------------------------------------------------------------
def test_rules_lists_the_state_rules():
    proc = run_cli("rules", "--format", "json")
    import json

    codes = {r["code"]: r["name"] for r in json.loads(proc.stdout)}
    assert codes["SSOT002"] == "module-singleton"
    assert codes["SSOT008"] == "shared-factory-product"
    assert codes["SSOT009"] == "shared-class-state"


def test_bad_rule_option_is_a_one_line_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ssot-lint.rules.module-singleton]\nper-user-words = 'user'\n", encoding="utf-8"
    )
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1
    assert "tool.ssot-lint.rules.module-singleton.per-user-words" in err and "pyproject.toml" in err


def test_ssot009_mutations_in_test_code_do_not_count():
    files = {
        "app/__init__.py": "",
        "tests/test_tracker.py": "from app.example import Tracker\ndef test_x():\n    Tracker._sessions.append(1)\n",
    }
    assert _found(SSOT009, "class Tracker:\n    _sessions: list['SessionId'] = []\n", files) == []


def test_ssot008_shared_object_of_a_stateless_class_is_not_reported():
    code = (
        "from app.context import UserExecutionContext\n"
        "class Catalog:\n"
        "    def __init__(self):\n"
        "        self._tools: dict = {}\n"
        "class Sessions:\n"
        "    def __init__(self):\n"
        "        self._sessions: dict['SessionId', int] = {}\n"
        "class CatalogFactory:\n"
        "    def __init__(self):\n"
        "        self._catalog = Catalog()\n"
        "        self._sessions = Sessions()\n"
        "    def get_catalog_for_user(self, context: UserExecutionContext) -> Catalog:\n"
        "        return self._catalog\n"
        "    def get_sessions_for_user(self, context: UserExecutionContext):\n"
        "        return self._sessions\n"
    )
    found = _found(SSOT008, code, CTX_FILES)
    assert _positions(found) == [(15, 16)]


def test_ssot002_chained_assignment_is_one_finding():
    files = {"app/__init__.py": "", "app/store.py": STORE}
    found = _found(SSOT002, "from app.store import Store\na = b = Store()\n", files)
    assert _positions(found) == [(2, 1)]
