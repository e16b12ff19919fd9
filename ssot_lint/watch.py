"""``check --watch``: lint, then lint again whenever a Python or config file under the root changes.

Changes are found by polling ``stat`` (no extra dependency, works on every file system);
each run goes through the cache, so a re-run re-lints only what the change affects.
``SSOT_LINT_WATCH_RUNS`` (stop after that many runs) and ``SSOT_LINT_WATCH_INTERVAL``
(seconds between polls, default 0.5) exist for tests and scripts.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .config import CONFIG_FILES
from .discovery import DEFAULT_EXCLUDED_DIRS, PYTHON_SUFFIXES

WATCHED_NAMES = frozenset((*CONFIG_FILES, "setup.cfg"))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime in ns, size) of every Python and config file under ``root``."""
    out: dict[str, tuple[int, int]] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in DEFAULT_EXCLUDED_DIRS and not d.startswith(".ssot")]
        for name in files:
            if name.endswith(PYTHON_SUFFIXES) or name in WATCHED_NAMES:
                path = os.path.join(directory, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out[path] = (st.st_mtime_ns, st.st_size)
    return out


def watch(
    run_once: Callable[[], int],
    root: Path,
    *,
    echo: Callable[[str], None] = print,
    interval: float | None = None,
    max_runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run ``run_once`` now and after every change under ``root``; the last exit code.

    Stops after ``max_runs`` runs (default: ``SSOT_LINT_WATCH_RUNS``, else never) or on Ctrl-C.
    """
    if interval is None:
        interval = float(os.environ.get("SSOT_LINT_WATCH_INTERVAL", "0.5"))
    if max_runs is None and os.environ.get("SSOT_LINT_WATCH_RUNS"):
        max_runs = int(os.environ["SSOT_LINT_WATCH_RUNS"])
    runs, code = 0, 0
    echo("Starting ssot-lint in watch mode...")
    try:
        last = snapshot(root)
        while True:
            code = run_once()
            runs += 1
            sys.stdout.flush()  # the report is complete: show it before waiting
            if max_runs is not None and runs >= max_runs:
                return code
            echo("Watching for file changes (Ctrl-C to stop).")
            while True:
                sleep(interval)
                now = snapshot(root)
                if now != last:
                    changed = sorted(p for p in set(now) | set(last) if now.get(p) != last.get(p))
                    last = now
                    shown = ", ".join(os.path.relpath(p, root) for p in changed[:3])
                    echo(f"File change detected ({shown}{', ...' if len(changed) > 3 else ''}); linting again...")
                    break
    except KeyboardInterrupt:
        return code
