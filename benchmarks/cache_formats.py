"""Which on-disk format for the cache? Write/read time and size of real facts and a real manifest.

    python benchmarks/cache_formats.py [ROOT] [--runs 5]

ROOT defaults to this interpreter's standard library. The facts of every module are
extracted once; then each candidate writes them (one file per module, as the cache
does) and reads them back, and does the same with the findings manifest of a cold
``ssot-lint check`` of ROOT (with its cache in a temporary folder). Medians of
``--runs`` runs, printed as a table:

- ``pickle``: what the cache used before; loading runs code (``__reduce__``), so a
  planted file executes. The baseline only.
- ``json``: ``ssot_lint.codec`` (the choice): JSON with type-checked decoding.
- ``marshal``: the same plain encoding through ``marshal``; fast, but ``marshal`` can
  build code objects and is documented as unsafe against crafted data, so the decoder
  would be the only guard.
- ``sqlite``: the JSON payloads as rows of one SQLite table (one file for all entries).
"""

from __future__ import annotations

import argparse
import marshal
import pickle
import shutil
import sqlite3
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from ssot_lint import codec
from ssot_lint.cache import Manifest
from ssot_lint.cli import tune_gc
from ssot_lint.facts import ModuleFacts, extract_facts
from ssot_lint.index import module_for_path


def _facts(root: Path) -> list[ModuleFacts]:
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "site-packages" in rel:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        named = module_for_path(rel) or ("", False)
        out.append(extract_facts(text, named[0], rel, named[1]))
    return out


def _manifest(root: Path, tmp: Path) -> Manifest:
    from ssot_lint.config import load_config
    from ssot_lint.engine import Linter
    from ssot_lint.registry import load_rules

    config = load_config(root)
    linter = Linter(config, load_rules())
    linter.make_cache = lambda enabled=None: __import__("ssot_lint.cache").cache.Cache(tmp / "lint-cache")  # type: ignore[method-assign]
    linter.run([str(root)])
    return linter.make_cache().load_manifest(linter.tool())


def _plain(v: object) -> object:
    """The codec's plain encoding, built in Python (for marshal, which has no ``default`` hook)."""
    t = type(v)
    if t in (str, int, bool, float, type(None)):
        return v
    if t is list or t is tuple:
        return [_plain(x) for x in v]
    if t is dict:
        return {k: _plain(x) for k, x in v.items()}
    return _plain(codec._default(v))


FORMATS = {
    "pickle": (lambda v, tp: pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL), lambda b, tp: pickle.loads(b)),
    "json": (lambda v, tp: codec.dumps(v), lambda b, tp: codec.loads(b, tp)),
    "marshal": (lambda v, tp: marshal.dumps(_plain(v)), lambda b, tp: codec.decoder(tp)(marshal.loads(b))),
}


def _files(values: list, tp: type, name: str, folder: Path) -> tuple[float, float, int]:
    dump, load = FORMATS[name]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    for i, v in enumerate(values):
        (folder / f"{i}.bin").write_bytes(dump(v, tp))
    t1 = time.perf_counter()
    for i in range(len(values)):
        load((folder / f"{i}.bin").read_bytes(), tp)
    t2 = time.perf_counter()
    size = sum(p.stat().st_size for p in folder.iterdir())
    return t1 - t0, t2 - t1, size


def _sqlite(values: list, tp: type, folder: Path) -> tuple[float, float, int]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "cache.sqlite"
    t0 = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("create table facts (key text primary key, data blob)")
    with con:
        con.executemany("insert into facts values (?, ?)", ((str(i), codec.dumps(v)) for i, v in enumerate(values)))
    con.close()
    t1 = time.perf_counter()
    con = sqlite3.connect(db)
    for i in range(len(values)):
        (data,) = con.execute("select data from facts where key = ?", (str(i),)).fetchone()
        codec.loads(data, tp)
    con.close()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, db.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tune_gc()  # as the CLI does
    root = Path(args.root).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="ssot-cache-formats-"))
    try:
        facts = _facts(root)
        manifest = _manifest(root, tmp)
        print(f"{root}: {len(facts)} modules; manifest of {len(manifest.entries)} entries")
        print(f"{'data':<9} {'format':<8} {'write ms':>9} {'read ms':>9} {'bytes':>12}")
        for label, values, tp in (("facts", facts, ModuleFacts), ("manifest", [manifest], Manifest)):
            for name in (*FORMATS, "sqlite"):
                runs = []
                for _ in range(args.runs):
                    if name == "sqlite":
                        runs.append(_sqlite(values, tp, tmp / "out"))
                    else:
                        runs.append(_files(values, tp, name, tmp / "out"))
                w = statistics.median(r[0] for r in runs) * 1000
                r = statistics.median(r[1] for r in runs) * 1000
                print(f"{label:<9} {name:<8} {w:>9.0f} {r:>9.0f} {runs[0][2]:>12,}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
