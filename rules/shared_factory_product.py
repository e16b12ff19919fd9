"""SSOT008 shared-factory-product: a per-user factory that hands out a stored object."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ssot_lint.api import (
    ASSIGN,
    CLASS,
    GLOBAL,
    DefInfo,
    Definition,
    Invalid,
    LintRule,
    ModuleFacts,
    Option,
    ProjectIndex,
    RuleContext,
    Valid,
    cst,
    cst_dotted_name,
)

from ._state import (
    ATTR_OPS,
    DEFAULT_FACTORY_CLASSES,
    DEFAULT_PER_USER_WORDS,
    FACTORY_CLASSES_OPTION,
    PER_USER_WORDS_OPTION,
    container_kind,
    def_qualname,
    matches_any,
    parse_annotation,
    per_user_verdict,
    words_of,
)
from ._state import (
    TABLES as STATE_TABLES,
)

if TYPE_CHECKING:
    from ._body_scan import Body


DEFAULT_FACTORY_NAMES = ("create_*", "*_for_user", "get_*_for_user")
DEFAULT_CONTEXT_PARAMS = ("user_context", "user_execution_context", "user_ctx")
DEFAULT_USER_KEY_WORDS = ("user",)
_KEYED_METHODS = ("get", "setdefault", "pop", "popitem", "popleft")
_DICTS = ("dict", "defaultdict")
_PRIMITIVES = ("str", "int", "float", "bool", "bytes", "None", "complex")

_CTX = """\
from dataclasses import dataclass

@dataclass(frozen=True)
class UserExecutionContext:
    user_id: str
    thread_id: str
"""
_FILES = {"app/__init__.py": "", "app/context.py": _CTX}
_HEAD = (
    "from app.context import UserExecutionContext\n\nclass Engine:\n    def __init__(self, context=None):\n"
    "        self._runs: list['RunId'] = []\n\n"
)


@dataclass(frozen=True)
class _Read:
    """A read of stored state: ``self._engine``, ``self._engines[key]``, ``_ENGINE``, ..."""

    where: str  # "on the factory", "on the class", "at module level"
    text: str  # the storage expression (`self._engines`)
    key: cst.BaseExpression | None = None
    keyed: bool = False  # a keyed/pooled read from a container
    attr: str = ""  # the attribute (or module global) read
    owner: Definition | None = None  # the class whose attribute it is


def factory_reason(
    facts: ModuleFacts, info: DefInfo, contract, options, index: ProjectIndex | None = None
) -> str | None:
    """Why ``info`` is a per-user factory method ("a contract entry point", ...), or None.

    With the index, an override of an entry point in a subclass is an entry point too.
    """
    if info.kind == CLASS:
        return None
    owner = facts.defs.get(info.scope) if info.scope else None
    owner_name = owner.name if owner is not None and owner.kind == CLASS else ""
    owners = [(owner_name, facts.module)]
    if index is not None and owner_name:
        cls = index.definition(facts.module, info.scope)
        if cls is not None:
            owners = [(c.info.name, c.module) for c in index.mro(cls)]
    for ep in contract.entry_points:
        if ep.method != info.name:
            continue
        for name, module in owners:
            if ep.owner == name and (ep.module is None or ep.module == module):
                return "a contract entry point"
    if owner is not None and owner.kind != CLASS:
        return None  # a nested function
    if _context_param(info, contract, options) is None:
        return None
    if matches_any(info.name, options.get("factory-names", DEFAULT_FACTORY_NAMES)):
        return "a per-user factory method (by its name and its user-context parameter)"
    if owner_name and matches_any(owner_name, options.get("factory-classes", DEFAULT_FACTORY_CLASSES)):
        return f"a method of the factory `{owner_name}` taking a user context"
    return None


def _context_param(info: DefInfo, contract, options) -> str | None:
    names = set(options.get("context-params", DEFAULT_CONTEXT_PARAMS))
    classes = {c.rsplit(".", 1)[-1] for c in contract.context_classes}
    for p in info.params:
        if p.name in names:
            return p.name
        if p.annotation and classes & set(re.findall(r"[A-Za-z_]\w*", p.annotation)):
            return p.name
    return None


class SharedFactoryProduct(LintRule):
    """
    ## What it does
    Flags a per-user factory method that returns an object it keeps instead of a new one:

    - an object stored on `self`, on the class or at module level (`return
      self._engine` after `if self._engine is None: self._engine = Engine(...)`, or a
      module global);
    - an instance cached in a container keyed by something that does not identify the
      user (`self._bridges[agent_name]`), or taken from a pool (`self._pool.pop()`).

    Factory methods are the contract's entry points (`ExecutionEngineFactory.create_for_user`)
    and inferred ones: functions named `create_*`, `*_for_user` or `get_*_for_user`
    (option `factory-names`), or methods of `*Factory` classes (option `factory-classes`),
    that take a user-context parameter (annotated with a contract context class such as
    `UserExecutionContext`, or named as in `context-params`).

    A cache keyed by the user (a key built from the user-context parameter, or from a
    name mentioning `user`; option `user-key-words`) is per-user by design and is not
    flagged; neither is an object stored and returned in the same call
    (`self._last = Engine(ctx); return self._last`), nor a stored object whose class is
    known (from the return annotation or from how the attribute was built) and is
    neither factory-managed nor holds per-user state (a shared read-only catalog; option
    `per-user-words`).

    ## Why is this bad?
    A factory exists to give each user their own object. Returning a stored one hands
    the first user's engine, registry or emitter to every later user: their runs mix,
    and events are delivered to the wrong user. This is the seed incident: "factory
    methods return shared instances instead of isolated ones".

    ## Example
    ```python
    class ExecutionEngineFactory:
        async def create_for_user(self, context: UserExecutionContext) -> ExecutionEngine:
            if self._engine is None:
                self._engine = ExecutionEngine(context, ...)
            return self._engine
    ```

    Use instead:
    ```python
    class ExecutionEngineFactory:
        async def create_for_user(self, context: UserExecutionContext) -> ExecutionEngine:
            return ExecutionEngine(context, ...)
    ```

    ## Fix
    Build a new object on every call. If objects must be reused, key the cache by the
    user (`context.user_id`) and release entries when the user's session ends.
    """

    code = "SSOT008"
    name = "shared-factory-product"
    summary = "Factory method returns a stored object instead of a new one per user"
    applies_to_tests = False
    FACTS = (ATTR_OPS,)
    TABLES = STATE_TABLES
    OPTIONS = {
        "factory-names": Option("list[str]", list(DEFAULT_FACTORY_NAMES), "Name globs of per-user factory functions."),
        "factory-classes": FACTORY_CLASSES_OPTION,
        "context-params": Option(
            "list[str]", list(DEFAULT_CONTEXT_PARAMS), "Parameter names that carry the user context."
        ),
        "user-key-words": Option(
            "list[str]", list(DEFAULT_USER_KEY_WORDS), "Words that make a cache key identify the user."
        ),
        "per-user-words": PER_USER_WORDS_OPTION,
    }

    VALID = [
        Valid(
            _HEAD + "class EngineFactory:\n"
            "    def create_for_user(self, context: UserExecutionContext) -> Engine:\n"
            "        return Engine(context)\n",
            files=_FILES,
        ),
        Valid(
            _HEAD + "class EngineFactory:\n"
            "    def __init__(self):\n"
            "        self._engines: dict[str, Engine] = {}\n"
            "    def get_engine_for_user(self, context: UserExecutionContext) -> Engine:\n"
            "        key = (context.user_id, context.thread_id)\n"
            "        if key not in self._engines:\n"
            "            self._engines[key] = Engine(context)\n"
            "        return self._engines[key]\n",
            files=_FILES,
        ),
        Valid(
            _HEAD + "class EngineFactory:\n"
            "    def create_for_user(self, context: UserExecutionContext) -> Engine:\n"
            "        self._last = Engine(context)\n"
            "        return self._last\n"
            "    @property\n"
            "    def engine(self):\n"
            "        return self._last\n"
            "    def create_default(self):\n"
            "        return self._last\n",
            files=_FILES,
        ),
        Valid(
            _HEAD + "class EngineFactory:\n"
            "    def create_for_user(self, context: UserExecutionContext) -> Engine:\n"
            "        return self\n",
            files=_FILES,
            path="tests/test_factory.py",
        ),
    ]
    INVALID = [
        Invalid(
            _HEAD + "class ExecutionEngineFactory:\n"
            "    def __init__(self):\n"
            "        self._engine = None\n"
            "    async def create_for_user(self, context: UserExecutionContext) -> Engine:\n"
            "        if self._engine is None:\n"
            "            self._engine = Engine(context)\n"
            "        return self._engine\n",
            line=13,
            column=16,
            files=_FILES,
            message=r"`ExecutionEngineFactory.create_for_user` returns `self._engine`",
        ),
        Invalid(
            _HEAD + "class BridgeFactory:\n"
            "    def __init__(self):\n"
            "        self._bridges: dict[str, Engine] = {}\n"
            "    def bridge(self, context: UserExecutionContext, agent_name: str) -> Engine:\n"
            "        bridge = self._bridges.get(agent_name)\n"
            "        if bridge is None:\n"
            "            bridge = self._bridges[agent_name] = Engine(context)\n"
            "        return bridge\n",
            column=16,
            line=14,
            files=_FILES,
            message=r"keyed by `agent_name`",
        ),
        Invalid(
            _HEAD + "_engine = None\n"
            "def get_engine_for_user(user_context):\n"
            "    global _engine\n"
            "    if _engine is None:\n"
            "        _engine = Engine(user_context)\n"
            "    return _engine\n",
            column=12,
            line=12,
            files=_FILES,
            message="module level",
        ),
        Invalid(
            _HEAD + "class EnginePoolFactory:\n"
            "    def __init__(self):\n"
            "        self._idle: list[Engine] = []\n"
            "    def create_for_user(self, context: UserExecutionContext) -> Engine:\n"
            "        if self._idle:\n"
            "            return self._idle.pop()\n"
            "        return Engine(context)\n",
            column=20,
            line=12,
            files=_FILES,
            message="pool",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.index: ProjectIndex = context.index
        self.user_words: Sequence[str] = self.options.get("user-key-words", DEFAULT_USER_KEY_WORDS)
        self.per_user_words: Sequence[str] = self.options.get("per-user-words", DEFAULT_PER_USER_WORDS)
        self.pending: dict[int, str] = {}

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        options = context.options_for(cls)
        return any(
            factory_reason(context.facts, info, context.contract, options, context.index) is not None
            for info in context.facts.defs.values()
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qual = def_qualname(self.context.scope, node.name.value)
        info = self.context.facts.defs.get(qual)
        if info is None:
            return
        reason = factory_reason(self.context.facts, info, self.context.contract, self.options, self.index)
        if reason is None:
            return
        if info.returns and parse_head(info.returns) in _PRIMITIVES:
            return
        from ._body_scan import BodyScan  # a LibCST visitor class: imports LibCST

        scan = BodyScan()
        node.body.visit(scan)
        fn = _Function(self, info, qual, scan.body)
        for ret, order in scan.body.returns:
            assert ret.value is not None  # BodyScan keeps only returns with a value
            found = fn.shared_source(ret.value, order)
            if found is not None and not fn.harmless_product(found[0]):
                read, via = found
                self.pending[id(ret)] = fn.message(read, via, reason)

    def visit_Return(self, node: cst.Return) -> None:
        # Reported here, not from the def, so the finding belongs to the return statement.
        message = self.pending.pop(id(node), None)
        if message is not None and node.value is not None:
            self.report(node.value, message)


def parse_head(annotation: str) -> str:
    text = annotation.strip().strip("'\"")
    return re.split(r"[\[|]", text)[0].strip().rsplit(".", 1)[-1]


class _Function:
    """The analysis of one factory method's body."""

    def __init__(self, rule: SharedFactoryProduct, info: DefInfo, qual: str, body: Body) -> None:
        self.rule = rule
        self.index = rule.index
        self.module = rule.context.module
        self.facts = rule.context.facts
        self.info = info
        self.qual = qual
        self.body = body
        self.owner = self.index.enclosing_class(self.module, qual)
        params = [p.name for p in info.params]
        decorators = {d.removesuffix("()").rsplit(".", 1)[-1] for d in info.decorators}
        self.self_name = params[0] if self.owner is not None and params and "staticmethod" not in decorators else None
        self.context_param = _context_param(info, rule.context.contract, rule.options)

    # --- where a returned value comes from -------------------------------------------------------
    def shared_source(self, value: cst.BaseExpression, order: int, depth: int = 0) -> tuple[_Read, str] | None:
        if depth > 3:
            return None
        if isinstance(value, cst.BooleanOperation):
            return self.shared_source(value.left, order, depth + 1) or self.shared_source(value.right, order, depth + 1)
        if isinstance(value, cst.IfExp):
            return self.shared_source(value.body, order, depth + 1) or self.shared_source(
                value.orelse, order, depth + 1
            )
        read = self.read(value)
        if read is not None:
            if self._shared(read, value, order):
                return read, ""
            return None
        if isinstance(value, cst.Name):
            for a in self.body.assigns:
                if a.order > order:
                    continue
                if not any(isinstance(t, cst.Name) and t.value == value.value for t in a.targets):
                    continue
                found = self.shared_source(a.value, a.order, depth + 1)
                if found is not None:
                    return found[0], value.value
        return None

    def _shared(self, read: _Read, value: cst.BaseExpression, order: int) -> bool:
        if read.keyed:
            return read.key is None or not self._user_key(read.key, 0)
        # Stored and returned in the same call: a new object each time.
        for a in self.body.assigns:
            if a.unconditional and a.order < order and isinstance(a.value, cst.Call):
                if any(_same(t, value) for t in a.targets):
                    return False
        return True

    def read(self, expr: cst.BaseExpression) -> _Read | None:
        if isinstance(expr, cst.Subscript):
            base = self._store(expr.value)
            if base is None or self._container(expr.value) not in _DICTS:
                return None
            key = (
                expr.slice[0].slice.value
                if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index)
                else None
            )
            return _Read(base.where, base.text, key, True, base.attr, base.owner)
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in _KEYED_METHODS
        ):
            method = expr.func.attr.value
            base = self._store(expr.func.value)
            kind = self._container(expr.func.value) if base is not None else None
            if base is None or kind is None:
                return None
            if method in ("get", "setdefault") or (method == "pop" and expr.args):
                if kind not in _DICTS:
                    return None
                key = expr.args[0].value if expr.args else None
                return _Read(base.where, base.text, key, True, base.attr, base.owner)
            return _Read(base.where, base.text, None, True, base.attr, base.owner)  # `pop()`, `popitem()`: a pool
        return self._store(expr)

    def _store(self, expr: cst.BaseExpression) -> _Read | None:
        if isinstance(expr, cst.Attribute):
            recv = expr.value
            text = cst_dotted_name(expr) or f"...{expr.attr.value}"
            attr = expr.attr.value
            if isinstance(recv, cst.Name) and self.self_name and recv.value == self.self_name:
                first_is_cls = "classmethod" in {d.removesuffix("()").rsplit(".", 1)[-1] for d in self.info.decorators}
                return _Read("on the class" if first_is_cls else "on the factory", text, attr=attr, owner=self.owner)
            if _is_type_of_self(recv, self.self_name) or (
                isinstance(recv, cst.Attribute)
                and recv.attr.value == "__class__"
                and isinstance(recv.value, cst.Name)
                and recv.value.value == self.self_name
            ):
                return _Read("on the class", f"{self.self_name}.__class__.{attr}", attr=attr, owner=self.owner)
            dotted = cst_dotted_name(recv)
            if dotted is not None:
                target = self.index.resolve(self.module, self.qual, dotted)
                if isinstance(target, Definition) and target.kind == CLASS:
                    return _Read("on the class", text, attr=attr, owner=target)
            return None
        if isinstance(expr, cst.Name):
            found = self._name_binding(expr.value)
            if found is None:
                return None
            bscope, b = found
            if bscope == "" and b.kind == ASSIGN and b.value_kind in ("call", "none", "dict", "list", "set"):
                return _Read("at module level", expr.value, attr=expr.value)
        return None

    def _name_binding(self, name: str):
        """The binding a name read in this function refers to (`global x` means the module's)."""
        scope = self.facts.scopes.get(self.qual)
        if scope is not None and any(b.kind == GLOBAL for b in scope.bindings.get(name, ())):
            return self.index.lookup_binding(self.module, "", name)
        return self.index.lookup_binding(self.module, self.qual, name)

    def _container(self, expr: cst.BaseExpression) -> str | None:
        """The kind of mutable container ("dict", "list", ...) the stored object is, as far as the facts say."""
        if isinstance(expr, cst.Name):
            found = self._name_binding(expr.value)
            if found is None:
                return None
            _, b = found
            return container_kind(b.value_kind, b.value, b.annotation)
        if not isinstance(expr, cst.Attribute):
            return None
        attr = expr.attr.value
        owner = self.owner
        dotted = cst_dotted_name(expr.value)
        if dotted and dotted != self.self_name:
            target = self.index.resolve(self.module, self.qual, dotted)
            owner = target if isinstance(target, Definition) and target.kind == CLASS else owner
        if owner is None:
            return None
        for cls in self.index.mro(owner):
            for name, vk, callee, ann in cls.info.init_attrs:
                kind = container_kind(vk, callee or None, ann or None) if name == attr else None
                if kind is not None:
                    return kind
            facts = self.index.get_module(cls.module)
            scope = facts.scopes.get(cls.qualname) if facts else None
            for b in scope.bindings.get(attr, ()) if scope else ():
                kind = container_kind(b.value_kind, b.value, b.annotation) if b.kind == ASSIGN else None
                if kind is not None:
                    return kind
        return None

    # --- what is handed out ---------------------------------------------------------------------------
    def harmless_product(self, read: _Read) -> bool:
        """True when every class the product is known to be is neither managed nor per-user.

        The classes come from the return annotation and from how the stored attribute was
        built or annotated. Unknown products are not harmless.
        """
        classes = self._annotated_classes(self.info.returns, self.qual, keyed=False)
        classes += self._stored_classes(read)
        if not classes:
            return False
        words = self.rule.per_user_words
        tests = self.rule.context.config.test_paths
        contract = self.rule.context.contract
        return all(per_user_verdict(self.index, contract, c, words, tests) is None for c in classes)

    def _annotated_classes(
        self, annotation: str | None, scope: str, keyed: bool, module: str | None = None
    ) -> list[Definition]:
        if not annotation:
            return []
        head, args = parse_annotation(annotation)
        if keyed:
            if not args:
                return []
            head, _ = parse_annotation(args[-1])
        target = self.index.resolve(module or self.module, scope, head)
        return [target] if isinstance(target, Definition) and target.kind == CLASS else []

    def _stored_classes(self, read: _Read) -> list[Definition]:
        out: list[Definition] = []
        if read.owner is None:
            found = self._name_binding(read.attr) if read.attr else None
            if found is not None:
                _, b = found
                out += self._annotated_classes(b.annotation, "", read.keyed)
                if not read.keyed and b.value_kind == "call" and b.value:
                    out += self._annotated_classes(b.value, "", False)
            return out
        for cls in self.index.mro(read.owner):
            init_scope = f"{cls.qualname}.__init__"
            for name, vk, callee, ann in cls.info.init_attrs:
                if name != read.attr:
                    continue
                out += self._annotated_classes(ann or None, init_scope, read.keyed, cls.module)
                if not read.keyed and vk == "call" and callee:
                    out += self._annotated_classes(callee, init_scope, False, cls.module)
        return out

    # --- does a cache key identify the user? -------------------------------------------------------------
    def _user_key(self, key: cst.BaseExpression, depth: int) -> bool:
        for node in _names_in(key):
            name = node.value
            if self.context_param and name == self.context_param:
                return True
            if any(w in self.rule.user_words for w in words_of(name)):
                return True
            if depth < 2:
                for a in self.body.assigns:
                    if any(isinstance(t, cst.Name) and t.value == name for t in a.targets):
                        if self._user_key(a.value, depth + 1):
                            return True
        return False

    # --- the message ----------------------------------------------------------------------------------
    def message(self, read: _Read, via: str, reason: str) -> str:
        what = f"`{self.qual}`"
        through = f" (through `{via}`)" if via else ""
        return self._message(read, what, through) + f" [`{self.info.name}` is {reason}]"

    def _message(self, read: _Read, what: str, through: str) -> str:
        if read.keyed and read.key is None:
            return (
                f"{what} returns an object taken from the pool `{read.text}`{through}: an object another user "
                f"already used; build a new one for each call"
            )
        if read.keyed and read.key is not None:  # (keyed without a key: returned above)
            key = cst.Module([]).code_for_node(read.key)
            return (
                f"{what} returns an instance cached in `{read.text}` {read.where}{through}, keyed by `{key}`, "
                f"which does not identify the user: every user with that key gets the same object; "
                f"key it by the user (`context.user_id`) or build a new one for each call"
            )
        return (
            f"{what} returns `{read.text}`{through}, one object stored {read.where}, instead of a new one: "
            f"every user gets the same object; build a new one for each call"
        )


def _same(a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    da, db = cst_dotted_name(a), cst_dotted_name(b)
    return da is not None and da == db


def _is_type_of_self(expr: cst.BaseExpression, self_name: str | None) -> bool:
    return (
        self_name is not None
        and isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value == "type"
        and len(expr.args) == 1
        and isinstance(expr.args[0].value, cst.Name)
        and expr.args[0].value.value == self_name
    )


def _names_in(expr: cst.BaseExpression) -> list[cst.Name]:
    out: list[cst.Name] = []

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            out.append(node)

    expr.visit(_Collect())
    return out
