"""Run options: how one check runs, decided once by the CLI (or the server) before it starts.

The options are frozen: the linter reads them, nothing changes them during a run. A
caller that wants other options builds another ``RunOptions`` (``dataclasses.replace``)
and another ``Linter``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    # The sound textual prefilter (``--no-prefilter`` turns it off; output is identical).
    prefilter: bool = True
    # Worker processes; None: one per core; 1: everything in this process.
    jobs: int | None = None
    # The facts and findings cache (``--no-cache`` turns it off).
    use_cache: bool = True
    # Where the cache lives (``--cache-dir``, absolute): instead of the config's ``cache-dir``.
    # The user's own choice on the command line, so it is not confined to the root as a
    # config's path is (a repository's config cannot send writes outside it).
    cache_dir: str | None = None
    # Apply ``exclude`` to files named explicitly too (``--force-exclude``).
    force_exclude: bool = False
    # Also lint the files whose findings depend on the files given (``--dependents``).
    dependents: bool = False
