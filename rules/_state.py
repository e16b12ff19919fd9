"""Shared analysis for the state rules (SSOT002, SSOT008, SSOT009).

Everything here reads the project index and module facts; nothing imports or runs the
linted code.  The central question is "does this class hold per-user state?": a class is
*per-user* when it (or a project base) keeps a dict, list or set, set in ``__init__`` or
at class level, whose key or element is a user's identity (``dict[UserId, ...]``,
``self.x[context.user_id] = ...``) or a per-user object (see ``_user_evidence``); a word
in an attribute name is not enough.  A class is *managed* when the contract says only its
factory may build it (one instance per user by design).
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ssot_lint.api import (
    ALIAS,
    ASSIGN,
    CLASS,
    DEFAULT_TEST_PATHS,
    FROM,
    IMPORT,
    AnalysisSession,
    Contract,
    DefInfo,
    Definition,
    FactCollector,
    ModuleFacts,
    ModuleRow,
    Option,
    ProjectIndex,
    ProjectTable,
    child_nodes,
    dotted_name,
    session_of,
    test_code,
)

DEFAULT_PER_USER_WORDS = (
    "user",
    "session",
    "connection",
    "websocket",
    "emitter",
    "bridge",
    "client",
    "subscriber",
    "run",
    "thread",
    "token",
)
DEFAULT_FACTORY_CLASSES = ("*Factory",)
PER_USER_WORDS_OPTION = Option(
    "list[str]",
    list(DEFAULT_PER_USER_WORDS),
    "Words whose identity (`<word>_id`, `<Word>Id`) keys a dict/list/set attribute as per-user state.",
)
FACTORY_CLASSES_OPTION = Option(
    "list[str]", list(DEFAULT_FACTORY_CLASSES), "Class name globs of factories (per-user keyed state by design)."
)
# Classes SSOT002 never reports, whatever they hold (besides `*Factory` classes).
DEFAULT_IGNORE_CLASSES = (
    "*Settings",
    "*Config",
    "*Configuration",
    "*Conf",
    "*Logger",
    "*LoggerAdapter",
    "*Router",
    "*Lock",
)

# `callee(...)` that builds a mutable container, by the callee's last name component.
_CONTAINER_CALLS = {
    "dict": "dict",
    "list": "list",
    "set": "set",
    "defaultdict": "defaultdict",
    "OrderedDict": "dict",
    "Counter": "dict",
    "ChainMap": "dict",
    "WeakValueDictionary": "dict",
    "WeakKeyDictionary": "dict",
    "WeakSet": "set",
    "deque": "deque",
}
# Annotations that name a mutable container, by their head's last name component.
_CONTAINER_ANNOTATIONS = {
    "dict": "dict",
    "Dict": "dict",
    "MutableMapping": "dict",
    "OrderedDict": "dict",
    "Counter": "dict",
    "WeakValueDictionary": "dict",
    "WeakKeyDictionary": "dict",
    "defaultdict": "defaultdict",
    "DefaultDict": "defaultdict",
    "list": "list",
    "List": "list",
    "MutableSequence": "list",
    "set": "set",
    "Set": "set",
    "MutableSet": "set",
    "WeakSet": "set",
    "deque": "deque",
    "Deque": "deque",
}
_LOCK_MODULES = ("threading", "asyncio", "multiprocessing", "trio", "anyio")
_LOCK_NAMES = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")
# Bases (by qualified name) of classes that are values, not stateful services.
_VALUE_BASES = (
    "enum.",
    "typing.NamedTuple",
    "typing.TypedDict",
    "typing_extensions.TypedDict",
    "typing.Protocol",
    "typing_extensions.Protocol",
    "logging.Logger",
    "logging.LoggerAdapter",
    "pydantic.BaseSettings",
    "pydantic_settings.BaseSettings",
    "BaseException",
    "Exception",
)
_EXCEPTION_NAMES = ("Exception", "Error", "Warning")
_AUXILIARIES = frozenset(
    {
        "has",
        "have",
        "had",
        "is",
        "was",
        "were",
        "be",
        "been",
        "to",
        "should",
        "can",
        "could",
        "will",
        "would",
        "did",
        "do",
        "does",
        "must",
        "may",
        "might",
        "not",
        "no",
    }
)


# --- names ------------------------------------------------------------------------------
def words_of(name: str) -> list[str]:
    """Lower-case words of an identifier (snake_case and CamelCase)."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", name)]


def mentioned_word(text: str, words: Iterable[str]) -> str | None:
    """The per-user word ``text`` mentions (``_user_sessions`` -> "user"), if any.

    A word matches itself, its plural, and its ``id``/``ids`` compounds (``userid``).
    """
    wanted = {w.lower() for w in words}
    parts = words_of(text)
    for i, part in enumerate(parts):
        if i and parts[i - 1] in _AUXILIARIES:
            continue  # `has_run`, `to_thread`: a verb, not a thing held
        # `WebSocket` splits into two words: try the pair first.
        candidates = ([part + parts[i + 1]] if i + 1 < len(parts) else []) + [part]
        for cand in candidates:
            for w in wanted:
                if cand in (w, w + "s", w + "es", w + "id", w + "ids"):
                    return w
    return None


def matches_any(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


# --- annotations and values -------------------------------------------------------------------
def _split_args(text: str, sep: str = ",") -> list[str]:
    out: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def parse_annotation(annotation: str) -> tuple[str, list[str]]:
    """(head, type arguments) of an annotation, looking through quotes, Optional and ClassVar."""
    text = annotation.strip().strip("'\"").strip()
    for _ in range(4):
        union = [p for p in _split_args(text, "|") if p not in ("None", "")]
        if len(union) > 1 or (union and union[0] != text):
            text = union[0]
        m = re.match(r"^([\w.]+)\[(.*)\]$", text, re.S)
        if not m:
            return text, []
        head, args = m.group(1), _split_args(m.group(2))
        if head.rsplit(".", 1)[-1] in ("Optional", "ClassVar", "Final", "Annotated") and args:
            text = args[0]
            continue
        return head, args
    return text, []


def container_kind(value_kind: str | None, callee: str | None, annotation: str | None) -> str | None:
    """ "dict", "list", "set", "defaultdict" or "deque" when the value is a fresh mutable container."""
    if value_kind in ("dict", "list", "set"):
        return value_kind
    if value_kind == "call" and callee:
        kind = _CONTAINER_CALLS.get(callee.rsplit(".", 1)[-1])
        if kind is not None:
            return kind
    if annotation and value_kind in ("call", "other", "name"):
        head, _ = parse_annotation(annotation)
        return _CONTAINER_ANNOTATIONS.get(head.rsplit(".", 1)[-1])
    return None


def value_container_kind(value_kind: str | None, callee: str | None) -> str | None:
    """Like ``container_kind`` but only from the value: what a class attribute really holds."""
    if value_kind in ("dict", "list", "set"):
        return value_kind
    if value_kind == "call" and callee:
        return _CONTAINER_CALLS.get(callee.rsplit(".", 1)[-1])
    return None


def key_type(annotation: str | None) -> str | None:
    """The key type of a dict annotation, or the element type of a list/set annotation."""
    if not annotation:
        return None
    head, args = parse_annotation(annotation)
    if head.rsplit(".", 1)[-1] in _CONTAINER_ANNOTATIONS and args:
        return args[0]
    return None


# --- qualified names ------------------------------------------------------------------------------
def qualified_name(index: ProjectIndex, module: str, scope: str, dotted: str, depth: int = 0) -> str | None:
    """The import-qualified name of ``dotted`` seen from ``scope`` (``Lock`` -> "threading.Lock").

    Project definitions give their full name; unbound names are returned as written
    (builtins); names bound to values give None.
    """
    if depth > 8:
        return None
    dotted = dotted.removesuffix("()")
    head, _, rest = dotted.partition(".")
    found = index.lookup_binding(module, scope, head)
    suffix = f".{rest}" if rest else ""
    if found is None:
        return dotted
    bscope, b = found
    if b.kind == IMPORT:
        return b.target + suffix
    if b.kind == FROM:
        return f"{b.target}.{b.name}{suffix}"
    if b.kind == ALIAS:
        return qualified_name(index, module, bscope, b.target + suffix, depth + 1)
    if b.kind == CLASS or b.kind in ("def", "async def"):
        qual = f"{bscope}.{head}" if bscope else head
        return (f"{module}.{qual}" if module else qual) + suffix
    return None


def is_lock_call(index: ProjectIndex, module: str, scope: str, callee: str | None) -> bool:
    if not callee:
        return False
    name = qualified_name(index, module, scope, callee)
    if name is None:
        return False
    mod, _, last = name.rpartition(".")
    return last in _LOCK_NAMES and mod.split(".")[0] in _LOCK_MODULES


# --- classes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StateAttr:
    """A mutable container attribute that holds per-user state."""

    owner: Definition
    name: str
    kind: str  # "dict", "list", ...
    where: str  # "__init__" or "class"
    word: str  # why it holds users' data ("keyed by `user_id`", "holds `UserEngine` instances")
    key: str | None  # the key/element type, when annotated

    def describe(self) -> str:
        where = "set in `__init__`" if self.where == "__init__" else "at class level"
        why = self.word
        if why.startswith("keyed by") and self.kind not in ("dict", "defaultdict"):
            why = "of " + why[len("keyed by ") :]
        return f"`{self.name}` (a {self.kind} {why}, {where})"


def class_scope_bindings(index: ProjectIndex, cls: Definition):
    facts = index.get_module(cls.module)
    scope = facts.scopes.get(cls.qualname) if facts else None
    if scope is None:
        return {}
    return scope.bindings


def _is_dataclass(info: DefInfo) -> bool:
    return any(d.removesuffix("()").rsplit(".", 1)[-1] == "dataclass" for d in info.decorators)


def identity_word(text: str | None, words: Iterable[str]) -> str | None:
    """The per-user word of an identity in ``text``: ``user_id``, ``context.user_id``,
    ``UserId``, ``connection_ids``, ``SessionKey`` -> "user"/"connection"/"session". A word
    alone (``connections``, ``session_pool``, ``user_count``) is not an identity."""
    if not text:
        return None
    wanted = {w.lower() for w in words}
    for part in re.split(r"[^A-Za-z0-9_]+", text):
        parts = words_of(part)
        for i, word in enumerate(parts):
            if word in wanted and i + 1 < len(parts) and parts[i + 1] in ("id", "ids", "key", "keys"):
                return word
            for w in wanted:
                if word in (w + "id", w + "ids"):
                    return w
    return None


def _per_user_object(
    index: ProjectIndex, contract: Contract | None, module: str, scope: str, dotted: str
) -> str | None:
    """The per-user class (managed, the user context, a notifier) ``dotted`` names, if any."""
    if contract is None:
        return None
    last = dotted.rsplit(".", 1)[-1]
    if last in contract.context_classes:
        return last
    target = index.resolve(module, scope, dotted)
    if not (isinstance(target, Definition) and target.kind == CLASS):
        return None
    if contract.managed_entry(target) is not None or contract.notifier_entry(target) is not None:
        return target.info.name
    return None


_ANNOTATION_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _user_evidence(
    index: ProjectIndex,
    contract: Contract | None,
    cls: Definition,
    name: str,
    annotation: str | None,
    words: Sequence[str],
) -> str | None:
    """Why the container ``cls.name`` holds users' data, or None.

    Its key or element is a user's identity: by annotation (``dict[UserId, ...]``), by
    the keys the class stores under (``self.x[context.user_id] = ...``, ``[user_id]``),
    or by the values stored (instances of per-user classes: managed classes, the user
    context, notifiers; by annotation or by what is stored). A word in a name is not
    enough: pools, clients, locks and config sets are process-wide by design.
    """
    key = key_type(annotation)
    word = identity_word(key, words)
    if word:
        return f"keyed by `{key}`"
    if annotation:
        _, args = parse_annotation(annotation)
        for arg in args:
            for dotted in _ANNOTATION_NAMES.findall(arg):
                found = _per_user_object(index, contract, cls.module, cls.info.scope, dotted)
                if found:
                    return f"holds `{found}` instances"
    for attr, k, v in cls.info.keyed_attrs:
        if attr != name:
            continue
        if identity_word(k, words):
            return f"keyed by `{k}`"
        if v.startswith("call:") and v != "call:?":
            facts = index.get_module(cls.module)
            methods = [q for q in (facts.defs if facts else {}) if q.startswith(cls.qualname + ".")]
            for q in methods or [cls.qualname]:
                found = _per_user_object(index, contract, cls.module, q, v[5:])
                if found:
                    return f"holds `{found}` instances"
                break
    return None


def own_state_attrs(
    index: ProjectIndex,
    cls: Definition,
    words: Sequence[str],
    test_paths: Sequence[str] = DEFAULT_TEST_PATHS,
    contract: Contract | None = None,
) -> list[StateAttr]:
    """Per-user container attributes set by ``cls`` itself (not its bases)."""
    out: list[StateAttr] = []
    seen: set[str] = set()
    for name, vk, callee, ann in cls.info.init_attrs:
        kind = container_kind(vk, callee or None, ann or None)
        if kind is None or name in seen:
            continue
        key = key_type(ann or None)
        why = _user_evidence(index, contract, cls, name, ann or None, words)
        if why:
            seen.add(name)
            out.append(StateAttr(cls, name, kind, "__init__", why, key))
    dataclass_fields = _is_dataclass(cls.info)
    for name, bindings in class_scope_bindings(index, cls).items():
        if name in seen:
            continue
        for b in bindings:
            if b.kind != ASSIGN:
                continue
            shared = value_container_kind(b.value_kind, b.value)
            if shared is None and not dataclass_fields:
                continue
            kind = shared or container_kind(b.value_kind, b.value, b.annotation)
            if kind is None:
                continue
            key = key_type(b.annotation)
            why = _user_evidence(index, contract, cls, name, b.annotation, words)
            if not why:
                continue
            # A class-level container that nothing changes is a constant table, not state.
            if shared is not None and not class_ops(index, cls, name, "mutate", test_paths):
                continue
            seen.add(name)
            out.append(StateAttr(cls, name, kind, "class", why, key))
            break
    return out


def per_user_state(
    index: ProjectIndex,
    cls: Definition,
    words: Sequence[str],
    test_paths: Sequence[str] = DEFAULT_TEST_PATHS,
    contract: Contract | None = None,
) -> StateAttr | None:
    """The first per-user container attribute of ``cls`` or a project base, if any."""
    for c in index.mro(cls):
        attrs = own_state_attrs(index, c, words, test_paths, contract)
        if attrs:
            return attrs[0]
    return None


def managed_in_mro(index: ProjectIndex, contract: Contract, cls: Definition) -> Definition | None:
    for c in index.mro(cls):
        if contract.managed_entry(c) is not None:
            return c
    return None


def is_value_class(index: ProjectIndex, cls: Definition) -> str | None:
    """Why ``cls`` is a value-like class (enum, named tuple, frozen dataclass, ...), or None."""
    for c in index.mro(cls):
        info = c.info
        for src in info.decorator_sources:
            if "dataclass" in src and re.search(r"frozen\s*=\s*True", src):
                return "a frozen dataclass"
        for base in info.bases:
            name = qualified_name(index, c.module, info.scope, base) or base
            if any(name == v or (v.endswith(".") and name.startswith(v)) for v in _VALUE_BASES):
                return f"a `{base}` subclass"
            last = name.rsplit(".", 1)[-1]
            if last.endswith(_EXCEPTION_NAMES) or last in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"):
                return f"a `{base}` subclass"
    return None


@dataclass(frozen=True)
class Verdict:
    """Why instances of a class must not be shared between users."""

    cls: Definition
    managed: Definition | None  # the managed class in its MRO
    state: StateAttr | None

    def describe(self, subject: str | None = None) -> str:
        """Why, as a clause: "`X` is factory-managed (...)"; ``subject`` replaces "`X`"."""
        who = subject or f"`{self.cls.qualname}`"
        if self.managed is not None:
            if self.managed == self.cls:
                return f"{who} is factory-managed (one instance per user)"
            return f"{who} is a factory-managed `{self.managed.qualname}` (one instance per user)"
        assert self.state is not None
        whose = "" if self.state.owner == self.cls else f" (inherited from `{self.state.owner.qualname}`)"
        return f"{who} holds per-user state: {self.state.describe()}{whose}"


def per_user_verdict(
    index: ProjectIndex,
    contract: Contract,
    cls: Definition,
    words: Sequence[str],
    test_paths: Sequence[str] = DEFAULT_TEST_PATHS,
) -> Verdict | None:
    managed = managed_in_mro(index, contract, cls)
    if managed is not None:
        return Verdict(cls, managed, None)
    state = per_user_state(index, cls, words, test_paths, contract)
    if state is not None:
        return Verdict(cls, None, state)
    return None


def def_qualname(scope: str, name: str) -> str:
    """The qualname of a def named ``name`` visited in ``scope`` (rules see a def from outside it)."""
    return f"{scope}.{name}" if scope else name


def class_defined_at(index: ProjectIndex, module: str, scope: str, name: str) -> Definition | None:
    """The class a ``ClassDef`` visited in ``scope`` defines, from the index."""
    cls = index.definition(module, def_qualname(scope, name))
    return cls if cls is not None and cls.kind == CLASS else None


# --- attribute operations across the project ---------------------------------------------------------
# --- attribute operations across the project ---------------------------------------------------------
# The methods that change a dict, list, set or deque in place.
MUTATING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popitem",
        "popleft",
        "clear",
        "remove",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "sort",
        "reverse",
        "__setitem__",
        "__delitem__",
    }
)

AttrOp = tuple[str, str, str, str, int]


def attr_receiver(node: ast.expr) -> tuple[str, str] | None:
    """(receiver, attr) for ``<receiver>.attr`` when the receiver is class-like or ``self``."""
    if not isinstance(node, ast.Attribute):
        return None
    value = node.value
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "type"
        and len(value.args) == 1
        and isinstance(value.args[0], ast.Name)
        and value.args[0].id == "self"
        and not value.keywords
    ):
        return "type(self)", node.attr
    recv = dotted_name(value)
    if recv is None:
        return None
    if recv in ("self", "cls", "self.__class__") or recv.rsplit(".", 1)[-1][:1].isupper():
        return recv, node.attr
    return None


class _AttrOps:
    """Walks a module as the facts pass does (same scopes, same order) and records the
    in-place uses of attributes of a class-like receiver."""

    def __init__(self) -> None:
        self.ops: list[AttrOp] = []
        self.scope: list[str] = [""]

    def op(self, node: ast.expr, op: str, line: int) -> None:
        found = attr_receiver(node)
        if found is not None:
            self.ops.append((self.scope[-1], found[0], found[1], op, line))

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.expr):
            self.expr(node)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                self.visit(dec)
            args = node.args
            for d in list(args.defaults) + [d for d in args.kw_defaults if d is not None]:
                self.visit(d)
            for a in (
                list(args.posonlyargs)
                + list(args.args)
                + list(args.kwonlyargs)
                + [x for x in (args.vararg, args.kwarg) if x is not None]
            ):
                if a.annotation is not None:
                    self.visit(a.annotation)
            if node.returns is not None:
                self.visit(node.returns)
            self.body(node.name, node.body)
        elif isinstance(node, ast.ClassDef):
            for dec in node.decorator_list:
                self.visit(dec)
            for b in node.bases:
                self.visit(b)
            for k in node.keywords:
                self.visit(k.value)
            self.body(node.name, node.body)
        elif isinstance(node, ast.Assign):
            self.visit(node.value)
            for t in node.targets:
                self.visit(t)
        elif isinstance(node, ast.AnnAssign):
            self.visit(node.annotation)
            if node.value is not None:
                self.visit(node.value)
            self.visit(node.target)
        elif isinstance(node, ast.AugAssign):
            for child in child_nodes(node):
                self.visit(child)
            if not isinstance(node.target, ast.Subscript):  # `r.a[k] += x`: the Subscript's
                self.op(node.target, "mutate", node.lineno)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.visit(item)
            for stmt in node.body:
                self.visit(stmt)
            for item in node.items:
                self.op(item.context_expr, "lock", node.lineno)
        else:
            for child in child_nodes(node):
                self.visit(child)

    def body(self, name: str, stmts: list[ast.stmt]) -> None:
        outer = self.scope[-1]
        self.scope.append(f"{outer}.{name}" if outer else name)
        for stmt in stmts:
            self.visit(stmt)
        self.scope.pop()

    def expr(self, node: ast.expr) -> None:
        # An explicit stack, pre-order: operator chains nest too deep to recurse.
        stack: list[ast.AST] = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, ast.Call):
                func = cur.func
                if isinstance(func, ast.Attribute):
                    if func.attr in MUTATING_METHODS:
                        self.op(func.value, "mutate", cur.lineno)
                    elif func.attr == "acquire":
                        self.op(func.value, "lock", cur.lineno)
            elif isinstance(cur, ast.Subscript) and isinstance(cur.ctx, (ast.Store, ast.Del)):
                self.op(cur.value, "mutate", cur.lineno)
            children = child_nodes(cur)
            children.reverse()
            stack.extend(children)


def _collect_attr_ops(tree: ast.Module, facts: ModuleFacts) -> tuple[AttrOp, ...]:
    walker = _AttrOps()
    try:
        for stmt in tree.body:
            walker.visit(stmt)
    except RecursionError:  # as the facts pass: what was found before
        pass
    return tuple(walker.ops)


# In-place uses of attributes of a class-like receiver: (scope qualname, receiver, attr, op, line).
# receiver is "self", "cls", "type(self)", "self.__class__" or a dotted name whose last part is
# capitalised; op is "mutate" (`r.a[k] = v`, `del r.a[k]`, `r.a += x`, `r.a.append(...)`, ...)
# or "lock" (`with r.a:`, `async with r.a:`, `r.a.acquire()`).
ATTR_OPS: FactCollector[tuple[AttrOp, ...]] = FactCollector(
    "attr-ops", tuple[tuple[str, str, str, str, int], ...], _collect_attr_ops, ()
)


@dataclass(frozen=True)
class OpSite:
    """Where an in-place operation is: its module and root-relative path."""

    module: str
    path: str


# What the table needs of one module: its path and its operations (``ATTR_OPS``), kept by
# content hash (``ModuleRow``), so the table is folded without loading unchanged facts.
ATTR_OPS_ROW: ModuleRow[tuple[str, tuple[AttrOp, ...]]] = ModuleRow(
    "attr-ops",
    tuple[str, tuple[tuple[str, str, str, str, int], ...]],
    lambda facts, index: (facts.path, ATTR_OPS.of(facts)),
)


def _ops_by_attr(session: AnalysisSession, test_paths: tuple[str, ...]) -> dict[str, list[tuple[OpSite, AttrOp]]]:
    """Every recorded operation outside test code, by attribute name (once per session)."""

    def build() -> dict[str, list[tuple[OpSite, AttrOp]]]:
        index = session.index
        tests = test_code(index, test_paths)
        table: dict[str, list[tuple[OpSite, AttrOp]]] = {}
        for module, (path, ops) in session.index.rows(ATTR_OPS_ROW).items():
            if ops and not tests.is_test(path):
                site = OpSite(module, path)
                for op in ops:
                    table.setdefault(op[2], []).append((site, op))
        return table

    return session.cached(("attr-ops", test_paths), build, contract_free=True)


def _compute_attr_ops(session: AnalysisSession, arg: str) -> tuple[tuple[OpSite, AttrOp], ...]:
    attr, _, paths = arg.partition(":")
    return tuple(_ops_by_attr(session, tuple(json.loads(paths))).get(attr, ()))


def _attr_ops_summary(value: tuple[tuple[OpSite, AttrOp], ...]) -> list[tuple[str, str, AttrOp]]:
    return sorted((site.module, site.path, op) for site, op in value)


# The operations on one attribute name, as a project table: a finding that read them depends
# on that value (``@table:attr-ops:<attr>:<test paths>``), not on every module of the project.
ATTR_OPS_TABLE: ProjectTable[tuple[tuple[OpSite, AttrOp], ...]] = ProjectTable(
    "attr-ops", _compute_attr_ops, _attr_ops_summary
)
TABLES = (ATTR_OPS_TABLE,)


def attr_ops_named(
    index: ProjectIndex, attr: str, test_paths: Sequence[str] = DEFAULT_TEST_PATHS
) -> tuple[tuple[OpSite, AttrOp], ...]:
    """Every recorded in-place operation on an attribute called ``attr``, outside test code."""
    arg = f"{attr}:{json.dumps(list(test_paths))}"
    return session_of(index).table(ATTR_OPS_TABLE, arg)


def class_ops(
    index: ProjectIndex, cls: Definition, attr: str, op_kind: str, test_paths: Sequence[str] = DEFAULT_TEST_PATHS
) -> list[tuple[OpSite, AttrOp]]:
    """Operations ``op_kind`` on ``cls.attr`` through ``self``/``cls``/the class name.

    ``self.attr`` operations count only when no ``__init__`` in the receiver's MRO sets
    ``self.attr`` (then the class attribute is only a default that each instance shadows).
    Test code (``test_paths``) does not count: tests poke at class state on purpose.
    """
    family = {cls.fullname} | {d.fullname for d in index.subclasses(cls)}
    out = []
    for facts, op in attr_ops_named(index, attr, test_paths):
        scope, recv, _, kind, _line = op
        if kind != op_kind:
            continue
        if recv in ("self", "cls", "type(self)", "self.__class__"):
            owner = index.enclosing_class(facts.module, scope)
            if owner is None or owner.fullname not in family:
                continue
            if recv == "self" and any(attr == a[0] for c in index.mro(owner) for a in c.info.init_attrs):
                continue
        else:
            target = index.resolve(facts.module, scope, recv)
            if not isinstance(target, Definition) or target.fullname not in family:
                continue
        out.append((facts, op))
    out.sort(key=lambda item: (item[0].module != cls.module, item[0].path, item[1][4]))
    return out


def factory_like(cls_name: str, patterns: Sequence[str]) -> bool:
    return matches_any(cls_name, patterns)


def class_of_kind(info: DefInfo | None) -> bool:
    return info is not None and info.kind == CLASS
