"""Crash test over a real corpus: every file of the CPython standard library.

    python benchmarks/corpus_run.py [PATH]

Runs ``ssot-lint check PATH --no-cache --format json --select ALL`` (default PATH: this
Python's stdlib), and prints the files checked, lines, findings by code, SSOT000 files
(files this Python cannot parse, e.g. lib2to3 test data) and internal errors, which
must be zero. Exit 1 when there is an internal error.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import sysconfig
import time


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else sysconfig.get_paths()["stdlib"]
    cmd = [
        sys.executable,
        "-P",
        "-m",
        "ssot_lint",
        "check",
        path,
        "--root",
        path,
        "--no-cache",
        "--format",
        "json",
        "--select",
        "ALL",
        "--exit-zero",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env={**os.environ, "NO_COLOR": "1"})
    seconds = time.perf_counter() - start
    if not proc.stdout.strip():
        print(proc.stderr.decode(errors="replace"))
        return 1
    doc = json.loads(proc.stdout)
    from ssot_lint.discovery import DEFAULT_EXCLUDED_DIRS

    lines = 0
    for dirpath, dirnames, names in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in DEFAULT_EXCLUDED_DIRS]  # as discovery does
        for n in names:
            if n.endswith(".py"):
                try:
                    with open(os.path.join(dirpath, n), "rb") as fh:
                        lines += fh.read().count(b"\n")
                except OSError:
                    pass
    by_code = collections.Counter(d["code"] for d in doc["diagnostics"])
    print(f"corpus: {path}")
    print(f"files: {doc['summary']['files']}  lines: {lines}  wall: {seconds:.1f} s  exit: {proc.returncode}")
    print("findings by code: " + ", ".join(f"{c} {n}" for c, n in sorted(by_code.items())))
    for d in doc["diagnostics"]:
        if d["code"] == "SSOT000":
            print(f"  SSOT000 {d['path']}:{d['range']['start']['line']}: {d['message']}")
    print(f"internal errors: {len(doc['errors'])}")
    for e in doc["errors"][:20]:
        print(f"  {e['path']}: {e['message']}")
    return 1 if doc["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
