"""Finding the Python files to lint: paths given, ``.gitignore``, excludes, no loops."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

# Directories never descended into (as Ruff does), plus any directory holding a
# virtualenv (``pyvenv.cfg``).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".git-rewrite",
        ".hg",
        ".mypy_cache",
        ".nox",
        ".pants.d",
        ".pytype",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        "__pypackages__",
        "_build",
        "buck-out",
        "dist",
        "node_modules",
        "site-packages",
        "venv",
        "__pycache__",
        ".ssot_lint_cache",
        ".pytest_cache",
        ".hypothesis",
    }
)
PYTHON_SUFFIXES = (".py", ".pyi")
# A directory holding one of these is a project root.
ROOT_MARKERS = ("pyproject.toml", "ssot-lint.toml", ".ssot-lint.toml", "setup.cfg", ".git")


def compile_globs(globs: list[str] | tuple[str, ...]) -> pathspec.PathSpec:
    """Globs with ``.gitignore`` semantics, matched against root-relative POSIX paths."""
    return pathspec.GitIgnoreSpec.from_lines(list(globs))


class OutsideRootError(ValueError):
    """A path given on the command line lies outside the project root."""


@dataclass(frozen=True)
class DiscoveredFile:
    abspath: str
    relpath: str  # POSIX, relative to the root
    explicit: bool  # named on the command line


def relpath_of(path: str | Path, root: Path) -> str:
    """Root-relative POSIX path; paths outside the root keep their absolute form."""
    p = Path(os.path.abspath(path))
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


class _GitIgnores:
    """``.gitignore`` files met on the way down, each applied below its own directory."""

    def __init__(self, root: Path, enabled: bool) -> None:
        self.root = root
        self.enabled = enabled
        self.specs: list[tuple[str, pathspec.PathSpec]] = []
        if enabled:
            # .gitignore files above the walk's start but below the root apply too.
            self.load(root)

    def load(self, directory: Path) -> None:
        if not self.enabled:
            return
        gi = directory / ".gitignore"
        if gi.is_file():
            try:
                lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return
            prefix = relpath_of(directory, self.root)
            prefix = "" if prefix == "." else prefix
            self.specs.append((prefix, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, relpath: str, is_dir: bool) -> bool:
        for prefix, spec in self.specs:
            if prefix:
                if not relpath.startswith(prefix + "/"):
                    continue
                rel = relpath[len(prefix) + 1 :]
            else:
                rel = relpath
            if spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False


def discover(
    paths: list[str],
    root: Path,
    exclude: pathspec.PathSpec | None = None,
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> list[DiscoveredFile]:
    """Python files under ``paths`` (or the root), sorted, without duplicates.

    A file named explicitly is always included, as Ruff does, unless ``force_exclude``
    (Ruff's ``--force-exclude``; pre-commit names every file): then a file that ``exclude``
    matches, or that lies in an excluded or default-skipped directory, is left out too.
    Directories are walked without following symlinked directories, so symlink loops
    cannot trap the walk.
    """
    out: dict[str, DiscoveredFile] = {}
    gitignores = _GitIgnores(root, respect_gitignore)
    for raw in paths or [str(root)]:
        p = Path(raw)
        if not p.is_absolute():
            p = Path.cwd() / p
        if Path(relpath_of(p, root)).is_absolute():
            # Reported paths are root-relative and never escape the root.
            raise OutsideRootError(f"{raw}: outside the project root {root} (pass --root)")
        if force_exclude and _force_excluded(relpath_of(p, root), exclude):
            continue
        if p.is_dir():
            _walk(p, root, exclude, gitignores, out)
        else:
            rel = relpath_of(p, root)
            out.setdefault(rel, DiscoveredFile(os.path.abspath(p), rel, True))
    return [out[k] for k in sorted(out)]


def _force_excluded(rel: str, exclude: pathspec.PathSpec | None) -> bool:
    """Whether ``exclude`` (or a default-skipped directory) covers a path named explicitly."""
    if rel == ".":
        return False
    parts = rel.split("/")
    if any(part in DEFAULT_EXCLUDED_DIRS for part in parts[:-1]):
        return True
    if exclude is None:
        return False
    # The path itself, or any directory above it (a directory pattern such as `build/`).
    return exclude.match_file(rel) or any(exclude.match_file("/".join(parts[:i]) + "/") for i in range(1, len(parts)))


def _walk(
    top: Path,
    root: Path,
    exclude: pathspec.PathSpec | None,
    gitignores: _GitIgnores,
    out: dict[str, DiscoveredFile],
) -> None:
    seen_dirs: set[tuple[int, int]] = set()
    root_prefix = str(root).rstrip(os.sep) + os.sep

    def rel_of(path: str) -> str:
        if path.startswith(root_prefix) and os.sep == "/" and "/." not in path:
            return path[len(root_prefix) :]
        return relpath_of(path, root)

    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            st = directory.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        gitignores.load(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            rel = rel_of(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in DEFAULT_EXCLUDED_DIRS or os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    continue
                if exclude is not None and exclude.match_file(rel + "/"):
                    continue
                if gitignores.ignored(rel, True):
                    continue
                subdirs.append(Path(entry.path))
            elif entry.name.endswith(PYTHON_SUFFIXES):
                if exclude is not None and exclude.match_file(rel):
                    continue
                if gitignores.ignored(rel, False):
                    continue
                out.setdefault(rel, DiscoveredFile(entry.path, rel, False))
        stack.extend(reversed(subdirs))


def find_root(first_path: str | None, fallback: Path | None = None) -> Path:
    """The nearest directory at or above the first path holding one of ``ROOT_MARKERS``
    (pyproject.toml, ssot-lint.toml, .ssot-lint.toml, setup.cfg or .git).

    Without one: ``fallback`` if given, else the working directory when the path lies
    inside it, else the path's own directory (a reported path never escapes the root).
    """
    # abspath, not resolve(): a symlink loop must not raise, and links are not followed.
    start = Path(os.path.abspath(first_path or "."))
    if not start.is_dir():
        start = start.parent
    for d in [start, *start.parents]:
        if any((d / marker).exists() for marker in ROOT_MARKERS):
            return d
    if fallback is not None:
        return fallback
    cwd = Path(os.getcwd())
    return cwd if start == cwd or cwd in start.parents else start
