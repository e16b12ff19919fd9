"""Configuration: ``[tool.ssot-lint]`` in ``pyproject.toml``, or a file named by ``--config``.

Every key is declared once in ``SCHEMA`` with its type; unknown keys and wrong types
are one-line errors naming the file and the key.  Rule codes are checked once the
rules are loaded (``validate_codes``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A bad configuration: the message is one line naming the file and the key."""


# Test code anywhere in the tree (`pkg/tests/helpers.py` too), not only under the root.
DEFAULT_TEST_PATHS = ("**/tests/**", "**/test_*.py", "**/*_test.py", "**/conftest.py")
# The managed classes, notifier classes and notifier parameters come from the reference
# module (``contract.module``) and from inference; these config keys only ADD to them.
DEFAULT_MANAGED: tuple[str, ...] = ()
DEFAULT_ALLOW_CONSTRUCTION_IN: tuple[str, ...] = ()
DEFAULT_FACTORY_INTERNAL = ("_init_from_factory",)
DEFAULT_NOTIFIER_PARAMS: tuple[str, ...] = ()
DEFAULT_NOTIFIER_CLASSES: tuple[str, ...] = ()


@dataclass
class ContractConfig:
    module: str = "ssot_lint.reference"
    managed: list[str] = field(default_factory=lambda: list(DEFAULT_MANAGED))
    allow_construction_in: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOW_CONSTRUCTION_IN))
    factory_internal_methods: list[str] = field(default_factory=lambda: list(DEFAULT_FACTORY_INTERNAL))
    notifier_params: list[str] = field(default_factory=lambda: list(DEFAULT_NOTIFIER_PARAMS))
    notifier_classes: list[str] = field(default_factory=lambda: list(DEFAULT_NOTIFIER_CLASSES))
    infer: bool = True


#: Types the probe always lets engines share (added to ``probe.shared-types``).
DEFAULT_PROBE_SHARED_TYPES = ("logging:Logger", "logging:LoggerAdapter", "logging:Handler", "contextvars:ContextVar")


@dataclass
class ProbeConfig:
    """``[tool.ssot-lint.probe]``: how ``ssot-lint probe`` maps a team's factory onto the reference's."""

    create: str = "create_for_user"
    cleanup: str = "cleanup_engine"
    context_factory: str = ""  # "module:callable"; empty: the reference UserExecutionContext
    notifier_attribute: str = "notifier"
    run: str = "run"  # empty: call the probe agents directly with the notifier
    transport_attribute: str = ""  # empty: passed to CALLABLE, else found on the factory
    transport_method: str = "send"  # what the team's code calls on the transport: (connection id, event)
    shared_types: list[str] = field(default_factory=list)  # allowed shared, besides the defaults


@dataclass
class Config:
    root: Path
    source: str | None = None  # the file the settings came from
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    test_paths: list[str] = field(default_factory=lambda: list(DEFAULT_TEST_PATHS))
    # Packages and modules that only test code imports are test code too (ssot_lint.testcode).
    test_only_imports: bool = True
    respect_gitignore: bool = True
    cache_dir: str = ".ssot_lint_cache"
    baseline: str | None = None  # a baseline file inside the root (``check`` holds findings against it)
    max_file_bytes: int = 10 * 1024 * 1024
    contract: ContractConfig = field(default_factory=ContractConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    severity: dict[str, str] = field(default_factory=dict)  # code or prefix -> error|warning|info
    fail_on: str = "warning"
    require_reason: bool = False
    # The oldest Python the project runs on ("py312"); empty: from `[project] requires-python`.
    target_version: str = ""
    # Per-rule options: rule name -> {option: value}; validated against each rule's OPTIONS.
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)


# key -> (type, attribute). Types: "str", "bool", "int", "list[str]", "dict[str,list[str]]",
# "table:<name>" (a nested table declared in TABLES), "rules" (per-rule option tables).
SCHEMA: dict[str, tuple[str, str]] = {
    "select": ("list[str]", "select"),
    "ignore": ("list[str]", "ignore"),
    "exclude": ("list[str]", "exclude"),
    "per-file-ignores": ("dict[str,list[str]]", "per_file_ignores"),
    "test-paths": ("list[str]", "test_paths"),
    "test-only-imports": ("bool", "test_only_imports"),
    "respect-gitignore": ("bool", "respect_gitignore"),
    "cache-dir": ("str", "cache_dir"),
    "baseline": ("str", "baseline"),
    "max-file-bytes": ("int", "max_file_bytes"),
    "contract": ("table:contract", "contract"),
    "probe": ("table:probe", "probe"),
    "severity": ("dict[str,severity]", "severity"),
    "fail-on": ("severity", "fail_on"),
    "require-reason": ("bool", "require_reason"),
    "target-version": ("str", "target_version"),
    "rules": ("rules", "rules"),
}
SEVERITY_NAMES = ("error", "warning", "info")
TABLES: dict[str, tuple[type, dict[str, tuple[str, str]]]] = {
    "contract": (
        ContractConfig,
        {
            "module": ("str", "module"),
            "managed": ("list[str]", "managed"),
            "allow-construction-in": ("list[str]", "allow_construction_in"),
            "factory-internal-methods": ("list[str]", "factory_internal_methods"),
            "notifier-params": ("list[str]", "notifier_params"),
            "notifier-classes": ("list[str]", "notifier_classes"),
            "infer": ("bool", "infer"),
        },
    ),
    "probe": (
        ProbeConfig,
        {
            "create": ("attr", "create"),
            "cleanup": ("attr", "cleanup"),
            "context-factory": ("spec?", "context_factory"),
            "notifier-attribute": ("attr", "notifier_attribute"),
            "run": ("attr?", "run"),
            "transport-attribute": ("attr?", "transport_attribute"),
            "transport-method": ("attr", "transport_method"),
            "shared-types": ("list[spec]", "shared_types"),
        },
    ),
}


def _check_type(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "severity":
        return value in SEVERITY_NAMES
    if kind == "dict[str,severity]":
        return isinstance(value, dict) and all(isinstance(k, str) and v in SEVERITY_NAMES for k, v in value.items())
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "dict[str,list[str]]":
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in value.items()
        )
    if kind in ("attr", "attr?"):
        return isinstance(value, str) and (
            (kind == "attr?" and value == "") or all(part.isidentifier() for part in value.split("."))
        )
    if kind in ("spec", "spec?"):
        return isinstance(value, str) and ((kind == "spec?" and value == "") or _is_spec(value))
    if kind == "list[spec]":
        return isinstance(value, list) and all(isinstance(v, str) and _is_spec(v) for v in value)
    if kind in ("rules",) or kind.startswith("table:"):
        return isinstance(value, dict)
    raise AssertionError(kind)


def _is_spec(value: str) -> bool:
    """``module.path:Name.attr``: both sides dotted identifiers."""
    module, sep, name = value.partition(":")
    return bool(sep) and all(p.isidentifier() for part in (module, name) for p in part.split("."))


_TYPE_WORDS = {
    "attr": "a Python name or dotted attribute path",
    "attr?": 'a Python name, a dotted attribute path or ""',
    "spec": "a 'module:name' string",
    "spec?": "a 'module:name' string or \"\"",
    "list[spec]": "a list of 'module:name' strings",
    "str": "a string",
    "bool": "true or false",
    "int": "an integer",
    "list[str]": "a list of strings",
    "dict[str,list[str]]": "a table of lists of strings",
    "rules": "a table",
    "severity": "one of error, warning, info",
    "dict[str,severity]": "a table of rule codes to error, warning or info",
}


def _type_word(kind: str) -> str:
    return _TYPE_WORDS.get(kind, "a table")


def _apply(obj: Any, data: dict, schema: dict[str, tuple[str, str]], prefix: str, source: str) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if key not in schema:
            raise ConfigError(f"{at(source, full)}: unknown key '{full}'")
        kind, attr = schema[key]
        if not _check_type(value, kind):
            raise ConfigError(f"{at(source, full)}: '{full}' must be {_type_word(kind)}")
        if kind.startswith("table:"):
            cls, sub = TABLES[kind.split(":", 1)[1]]
            inner = getattr(obj, attr)
            _apply(inner, value, sub, full, source)
        elif kind == "rules":
            for rule_name, options in value.items():
                if not isinstance(options, dict):
                    raise ConfigError(f"{at(source, full + '.' + rule_name)}: '{full}.{rule_name}' must be a table")
            setattr(obj, attr, {k: dict(v) for k, v in value.items()})
        else:
            setattr(obj, attr, list(value) if isinstance(value, list) else value)


def at(source: str | None, key: str) -> str:
    """``file:line:column`` of a dotted ``key`` in a TOML config file (the key's first
    character), or ``file`` when it cannot be found (an inline table, a file gone)."""
    if source is None:
        return "config"
    try:
        with open(source, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return source
    found = key_position(lines, key)
    return f"{source}:{found[0]}:{found[1]}" if found else source


_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^(?P<indent>\s*)(?P<key>(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)
_PART = re.compile(r"[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'")


def _dotted(text: str) -> list[str]:
    return [p.strip("\"'") for p in _PART.findall(text)]


def key_position(lines: list[str], key: str) -> tuple[int, int] | None:
    """1-based (line, column) where the dotted ``key`` is set or its table starts.

    The longest prefix of ``key`` found wins: ``tool.ssot-lint.contract.bogus`` points at
    ``bogus = ...`` under ``[tool.ssot-lint.contract]``, or at ``contract = {...}`` when it
    sits in an inline table. Multi-line strings and arrays are not followed.
    """
    want = _dotted(key)
    best: tuple[int, tuple[int, int]] | None = None
    table: list[str] = []
    for n, text in enumerate(lines, 1):
        m = _HEADER.match(text)
        if m:
            table = _dotted(m.group("name"))
            full, col = table, text.index(m.group("name")) + 1
        else:
            m = _KEY.match(text)
            if not m:
                continue
            full, col = table + _dotted(m.group("key")), len(m.group("indent")) + 1
        k = 0
        while k < min(len(full), len(want)) and full[k] == want[k]:
            k += 1
        if k == len(full) and (best is None or k > best[0]):
            best = (k, (n, col))
            if k == len(want):
                return best[1]
    return best[1] if best else None


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


#: Config files looked for in the root, first found wins (as Ruff: ``.ruff.toml``, ``ruff.toml``,
#: ``pyproject.toml``). A ``pyproject.toml`` counts only when it has a ``[tool.ssot-lint]`` table.
CONFIG_FILES = (".ssot-lint.toml", "ssot-lint.toml", "pyproject.toml")


def find_config_file(root: Path) -> Path | None:
    """The config file of ``root``: ``.ssot-lint.toml``, else ``ssot-lint.toml``, else a
    ``pyproject.toml`` with a ``[tool.ssot-lint]`` table."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        if name != "pyproject.toml":
            return path
        tool = _read_toml(path).get("tool", {})
        if isinstance(tool, dict) and "ssot-lint" in tool:
            return path
    return None


def load_config(root: Path, config_file: str | None = None) -> Config:
    """Settings for ``root``: from ``config_file`` if given, else from :func:`find_config_file`.

    A ``pyproject.toml`` holds them under ``[tool.ssot-lint]``; any other file (such as
    ``ssot-lint.toml``) holds them at top level. ``extend = "path"`` (relative to the file)
    first applies another config file; the keys of the extending file then replace the
    base's (``contract``, ``probe`` and ``rules`` tables key by key).
    """
    cfg = Config(root=root)
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"{config_file}: config file not found")
    else:
        found = find_config_file(root)
        if found is None:
            return cfg
        path = found
    prefix = _load_into(cfg, path, [])
    if prefix is None:
        return cfg
    source = cfg.source or str(path)
    if cfg.baseline is not None:
        _confine(root, cfg.baseline, f"{prefix}.baseline" if prefix else "baseline", source)
    _confine(root, cfg.cache_dir, f"{prefix}.cache-dir" if prefix else "cache-dir", source)
    if cfg.target_version:
        parse_target_version(cfg.target_version, f"{source}: {prefix or 'top level'}")
    return cfg


def _table_of(path: Path) -> tuple[dict | None, str]:
    """The settings table of a config file and its key prefix (None: the file has none)."""
    data = _read_toml(path)
    if path.name != "pyproject.toml":
        return data, ""
    prefix = "tool.ssot-lint"
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return None, prefix
    table = tool.get("ssot-lint")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{at(str(path), prefix)}: '{prefix}' must be a table")
    return table, prefix


def _load_into(cfg: Config, path: Path, chain: list[Path]) -> str | None:
    """Apply ``path`` (after the file it ``extend``s) to ``cfg``; its key prefix, or None."""
    table, prefix = _table_of(path)
    if table is None:
        return None
    source = str(path)
    table = dict(table)
    extend = table.pop("extend", None)
    if extend is not None:
        key = f"{prefix}.extend" if prefix else "extend"
        if not isinstance(extend, str) or not extend.strip():
            raise ConfigError(f"{at(source, key)}: '{key}' must be a path (a string)")
        base = (path.parent / extend).resolve()
        if base in chain or base == path.resolve():
            raise ConfigError(f"{at(source, key)}: '{key}' = {extend!r} extends itself (a cycle)")
        if not base.is_file():
            raise ConfigError(f"{at(source, key)}: '{key}': config file {extend!r} not found")
        _load_into(cfg, base, [*chain, path.resolve()])
    cfg.source = source
    _apply(cfg, table, SCHEMA, prefix, source)
    return prefix


def _confine(root: Path, value: str, key: str, source: str) -> None:
    """A path from the config must stay inside the root (even through symlinks)."""
    if not value.strip():
        raise ConfigError(f"{source}: '{key}' must not be empty")
    resolved = (root / value).resolve()
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise ConfigError(f"{source}: '{key}' must be a path inside the project root ({value!r} is not)") from None


def code_matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def validate_codes(cfg: Config, known_codes: list[str], extra: dict[str, list[str]] | None = None) -> None:
    """Every selector in select/ignore/per-file-ignores must match some known code."""

    def check(selectors: list[str], key: str) -> None:
        for sel in selectors:
            if not any(code_matches(code, sel) for code in known_codes):
                where = at(cfg.source, key) if cfg.source else "command line"
                raise ConfigError(f"{where}: unknown rule code '{sel}' in '{key}'")

    prefix = "tool.ssot-lint." if cfg.source and cfg.source.endswith("pyproject.toml") else ""
    check(cfg.select or [], prefix + "select")
    check(cfg.ignore, prefix + "ignore")
    for glob, codes in cfg.per_file_ignores.items():
        check(codes, f"{prefix}per-file-ignores.{glob}")
    for selector in cfg.severity:
        check([selector], f"{prefix}severity.{selector}")
    for key, selectors in (extra or {}).items():
        check(selectors, key)


# --- target version -------------------------------------------------------------------------------
_TARGET_RE = re.compile(r"^py3(\d{1,2})$")
_REQUIRES_RE = re.compile(r"(>=|~=|==|>)\s*3\.(\d{1,2})")


def parse_target_version(value: str, where: str) -> tuple[int, int]:
    """``"py312"`` -> (3, 12); anything else is a one-line error naming ``where``."""
    m = _TARGET_RE.match(value.strip())
    if not m:
        raise ConfigError(f"{where}: 'target-version' must look like 'py312' (got {value!r})")
    return (3, int(m.group(1)))


def resolve_target_version(cfg: Config) -> tuple[int, int] | None:
    """The target Python of the project: ``target-version``, else the lowest version
    ``[project] requires-python`` of ``<root>/pyproject.toml`` allows (``>=3.12`` -> 3.12).

    Sets ``cfg.target_version`` to what was found, so that the settings (and every cache
    key derived from them) carry it.
    """
    if cfg.target_version:
        return parse_target_version(cfg.target_version, cfg.source or "command line")
    path = cfg.root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    project = data.get("project")
    requires = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(requires, str):
        return None
    minors = [int(m.group(2)) + (1 if m.group(1) == ">" else 0) for m in _REQUIRES_RE.finditer(requires)]
    if not minors:
        return None
    cfg.target_version = f"py3{min(minors)}"
    return (3, min(minors))
