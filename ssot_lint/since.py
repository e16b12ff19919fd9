"""``check --since REF``: report only findings that are new relative to a git revision.

The project as it was at REF is linted in memory: the files changed since REF are read
with ``git show REF:path`` (never checked out), files added since REF are left out, and
every other file is the same as now.  Cross-module findings therefore stay right (an
``async def`` turned into a ``def`` makes its unchanged callers' awaits new findings).
Findings are matched by the baseline's fingerprint (code, path, scope, flagged text; no
line numbers), as a multiset: a finding that merely moved is not new, a second copy is.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .baseline import Baseline, match
from .diagnostics import Diagnostic
from .engine import Linter


class SinceError(Exception):
    """No git, not a repository, or an unknown revision: the message is one line."""


@dataclass
class SinceResult:
    new: list[Diagnostic]
    existing: int  # findings that were already there at REF
    changed_files: int  # Python files that differ from REF


def _git(root: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise SinceError("--since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise SinceError(f"git {' '.join(args)} timed out") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SinceError(f"git {args[0]}: {msg[-1] if msg else 'failed'}")
    return proc.stdout


def _z(data: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]


def ref_versions(root: Path, ref: str) -> dict[str, str | None]:
    """Root-relative path -> its text at REF (None when it did not exist at REF), for
    every Python file that differs between REF and the working tree."""
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except SinceError:
        raise SinceError(f"--since: unknown git revision '{ref}' (or {root} is not in a git repository)") from None
    changed = _z(_git(root, "diff", "--name-only", "-z", "--no-renames", "--relative", ref, "--"))
    untracked = _z(_git(root, "ls-files", "--others", "--exclude-standard", "-z"))
    out: dict[str, str | None] = {}
    for path in changed + untracked:
        if not path.endswith((".py", ".pyi")):
            continue
        if path in untracked:
            out[path] = None
            continue
        try:
            data = _git(root, "show", f"{ref}:./{path}")
        except SinceError:
            out[path] = None  # added since REF
            continue
        out[path] = data.decode("utf-8", "surrogateescape")
    return out


def findings_at_ref(linter: Linter, targets: list[str], versions: dict[str, str | None]) -> list[Diagnostic]:
    """Lint the project as it was at REF, in memory."""
    _, sources, _, _ = linter.build_index([])
    files = {path: src.text for path, src in sources.items()}
    for path, text in versions.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    present = [t for t in targets if t in files]
    return linter.lint_texts(files, present).diagnostics


def new_since(linter: Linter, ref: str, diagnostics: list[Diagnostic], targets: list[str]) -> SinceResult:
    versions = ref_versions(linter.root, ref)
    if not versions:
        return SinceResult([], len(diagnostics), 0)
    before = Baseline.from_diagnostics(findings_at_ref(linter, targets, versions))
    m = match(diagnostics, before, lambda _path: True)
    return SinceResult(m.new, m.baselined, len(versions))
