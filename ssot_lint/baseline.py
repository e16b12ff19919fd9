"""Fingerprints and the baseline file: adopt ssot-lint in a code base with many findings.

A finding's fingerprint is built from its code, its path, its enclosing scope and the
whitespace-normalized text of the flagged code; never from a line number, so edits
elsewhere in the file do not bring old findings back.  The baseline is a multiset:
each fingerprint has a count, so a copy of a baselined line is a new finding.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".ssot-lint-baseline.json"
# Findings that are never baselined: a file that does not parse is not checked at all.
NOT_BASELINED = frozenset({"SSOT000"})


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message is one line."""


def fingerprint(d: Diagnostic) -> str:
    """A stable identity for a finding: code, path, scope and flagged text (no line numbers)."""
    key = "\0".join((d.code, d.path, d.scope, d.snippet or d.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def occurrence_fingerprints(diagnostics: Iterable[Diagnostic]) -> dict[int, str]:
    """``fingerprint:n`` by ``id(diagnostic)``: the n-th finding (in order) with that fingerprint.

    This is the SARIF ``partialFingerprints`` value: unique within a run, and stable
    while the findings with one fingerprint keep their order.
    """
    seen: Counter[str] = Counter()
    out = {}
    for d in sorted(diagnostics, key=lambda d: d.sort_key):
        fp = fingerprint(d)
        seen[fp] += 1
        out[id(d)] = f"{fp}:{seen[fp]}"
    return out


@dataclass
class Entry:
    fingerprint: str
    code: str
    path: str
    scope: str
    snippet: str
    message: str
    count: int = 1

    def to_json(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "code": self.code,
            "path": self.path,
            "scope": self.scope,
            "snippet": self.snippet,
            "message": self.message,
            "count": self.count,
        }


@dataclass
class Baseline:
    entries: dict[str, Entry] = field(default_factory=dict)  # by fingerprint

    @classmethod
    def from_diagnostics(cls, diagnostics: Iterable[Diagnostic]) -> Baseline:
        out = cls()
        for d in diagnostics:
            if d.code in NOT_BASELINED:
                continue
            fp = fingerprint(d)
            entry = out.entries.get(fp)
            if entry is None:
                out.entries[fp] = Entry(fp, d.code, d.path, d.scope, d.snippet, d.message)
            else:
                entry.count += 1
        return out

    @property
    def total(self) -> int:
        return sum(e.count for e in self.entries.values())

    def to_json(self) -> dict:
        entries = sorted(self.entries.values(), key=lambda e: (e.path, e.code, e.scope, e.snippet, e.fingerprint))
        return {
            "version": BASELINE_VERSION,
            "tool": "ssot-lint",
            "findings": [e.to_json() for e in entries],
        }


def load_baseline(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `ssot-lint baseline`)") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a ssot-lint baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("tool") != "ssot-lint" or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a ssot-lint baseline (expected an object with 'tool' and 'findings')")
    if data.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{path}: unsupported baseline version {data.get('version')!r} (expected {BASELINE_VERSION})"
        )
    out = Baseline()
    for i, item in enumerate(data["findings"]):
        try:
            entry = Entry(
                fingerprint=str(item["fingerprint"]),
                code=str(item["code"]),
                path=str(item["path"]),
                scope=str(item.get("scope", "")),
                snippet=str(item.get("snippet", "")),
                message=str(item.get("message", "")),
                count=int(item.get("count", 1)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BaselineError(f"{path}: findings[{i}] needs 'fingerprint', 'code' and 'path'") from None
        if entry.count < 1:
            raise BaselineError(f"{path}: findings[{i}].count must be at least 1")
        prev = out.entries.get(entry.fingerprint)
        if prev is not None:
            prev.count += entry.count
        else:
            out.entries[entry.fingerprint] = entry
    return out


def write_baseline(path: Path, baseline: Baseline) -> None:
    text = json.dumps(baseline.to_json(), indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def judged_by(root: Path, linted: Iterable[str]) -> Callable[[str], bool]:
    """Whether a run judged an entry's file: the file was linted, or it is gone."""
    linted = set(linted)

    def in_scope(path: str) -> bool:
        return path in linted or not (root / path).is_file()

    return in_scope


def baseline_note(path: str, baselined: int, stale: int) -> str:
    """The line ``check --baseline`` ends with: what was hidden, and what is stale."""
    note = f"{baselined} finding{'s' if baselined != 1 else ''} hidden by the baseline {path}"
    if stale:
        note += (
            f"; {stale} baseline entr{'ies are' if stale != 1 else 'y is'} stale"
            " (fixed or gone): `ssot-lint baseline --prune` removes them"
        )
    return note + "."


@dataclass
class Match:
    """The result of holding a run's findings against a baseline."""

    new: list[Diagnostic]  # findings not in the baseline
    baselined: int  # findings the baseline suppressed
    matched: Counter[str]  # fingerprint -> how many of its entries matched
    stale: int  # baseline entries (counted with multiplicity) that matched nothing in scope
    stale_fingerprints: list[str]


def match(diagnostics: list[Diagnostic], baseline: Baseline, in_scope) -> Match:
    """Split findings into new and baselined.

    Findings with the same fingerprint are taken in order; the first ``count`` are
    baselined and the rest are new (so a duplicated line reports its later copy).
    ``in_scope(path)`` says whether an entry's file was linted in this run (entries of
    files that were not linted are neither matched nor stale).
    """
    used: Counter[str] = Counter()
    new: list[Diagnostic] = []
    baselined = 0
    for d in sorted(diagnostics, key=lambda d: d.sort_key):
        fp = fingerprint(d) if d.code not in NOT_BASELINED else None
        entry = baseline.entries.get(fp) if fp else None
        if fp is not None and entry is not None and used[fp] < entry.count:
            used[fp] += 1
            baselined += 1
        else:
            new.append(d)
    stale_fps = [fp for fp, e in baseline.entries.items() if in_scope(e.path) and used[fp] < e.count]
    stale = sum(baseline.entries[fp].count - used[fp] for fp in stale_fps)
    return Match(new, baselined, used, stale, stale_fps)


def updated(old: Baseline | None, diagnostics: list[Diagnostic], in_scope, *, prune: bool) -> Baseline:
    """The baseline to write.

    Without ``prune``: every current finding of the linted files, plus the old
    entries of files that were not linted.  With ``prune``: the old baseline without
    its stale entries (no new finding is added).
    """
    if prune:
        if old is None:
            return Baseline()
        m = match(diagnostics, old, in_scope)
        out = Baseline()
        for fp, e in old.entries.items():
            keep = e.count if not in_scope(e.path) else m.matched[fp]
            if keep > 0:
                out.entries[fp] = Entry(e.fingerprint, e.code, e.path, e.scope, e.snippet, e.message, keep)
        return out
    out = Baseline.from_diagnostics(diagnostics)
    if old is not None:
        for fp, e in old.entries.items():
            if not in_scope(e.path) and fp not in out.entries:
                out.entries[fp] = e
    return out
