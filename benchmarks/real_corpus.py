"""The pinned real corpus: public packages whose Python files are real code for speed and precision.

    python benchmarks/real_corpus.py [--dest benchmarks/generated/real] [--only NAME,...]

Each package is fetched as a wheel with ``pip download --no-deps --only-binary=:all:``
(its version pinned below), and its ``.py`` files are unpacked into ``DEST/<name>/``,
one project root each (a ``pyproject.toml`` is written there, so the root is the
package, not the folder around it). ``DEST/all/`` is every package in one root, about
the size of a 3M-line service. Nothing is imported or run: the files are only read.

A package already unpacked is not fetched again. The table printed at the end gives
files and lines for each root (lines as ``wc -l`` counts them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DEST = HERE / "generated" / "real"

# (distribution, version, extra pip arguments). Home Assistant 2024.3.3 only has wheels
# tagged for Python 3.12, so pip is told which Python the wheel is for.
PINNED: list[tuple[str, str, list[str]]] = [
    ("homeassistant", "2024.3.3", ["--python-version", "3.12"]),
    ("litellm", "1.110.2", []),
    ("openai", "3.60.0", []),
    ("sqlalchemy", "2.1.9", []),
    ("langchain-community", "0.4.2", []),
    ("prefect", "3.9.1", []),
    ("django", "5.2.19", []),
    ("llama-index-core", "0.14.25", []),
    ("langchain-core", "1.8.4", []),
    ("aiohttp", "3.14.5", []),
]

PYPROJECT = '[project]\nname = "{name}"\nversion = "0"\n\n[tool.ssot-lint]\n'


def root_name(dist: str) -> str:
    return dist.replace("-", "_")


def download(dist: str, version: str, extra: list[str], into: Path) -> Path:
    """The wheel of ``dist==version``, fetched with pip into ``into``."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(into),
        *extra,
        f"{dist}=={version}",
    ]
    subprocess.run(cmd, check=True)
    wheels = sorted(into.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"real_corpus: pip downloaded no wheel for {dist}=={version}")
    return wheels[-1]


def unpack(wheel: Path, out: Path) -> None:
    """Only the ``.py`` members, so that nothing compiled or executable lands in the corpus."""
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.infolist():
            name = member.filename
            if not name.endswith(".py") or ".dist-info/" in name or name.startswith("/") or ".." in name.split("/"):
                continue
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    (tmp / "pyproject.toml").write_text(PYPROJECT.format(name=out.name), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)


def count(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        files += 1
        with open(path, "rb") as fh:
            lines += fh.read().count(b"\n")
    return files, lines


def build_all(dest: Path, names: list[str]) -> Path:
    """``DEST/all``: every package's files in one root (hard links where the disk allows)."""
    all_root = dest / "all"
    tmp = dest / "all.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in names:
        src = dest / name
        for path in src.rglob("*.py"):
            target = tmp / name / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
    (tmp / "pyproject.toml").write_text(PYPROJECT.format(name="all"), encoding="utf-8")
    shutil.rmtree(all_root, ignore_errors=True)
    os.replace(tmp, all_root)
    return all_root


def ensure(dest: Path = DEFAULT_DEST, only: list[str] | None = None) -> dict[str, Path]:
    """Fetch and unpack what is missing; return each root by name (and ``all``)."""
    dest.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    for dist, version, extra in PINNED:
        name = root_name(dist)
        if only and name not in only and dist not in only:
            continue
        out = dest / name
        stamp = out / ".version"
        if not (stamp.exists() and stamp.read_text() == version):
            with tempfile.TemporaryDirectory() as tmp:
                wheel = download(dist, version, extra, Path(tmp))
                unpack(wheel, out)
            stamp.write_text(version)
        roots[name] = out
    if not only:
        roots["all"] = build_all(dest, list(roots))
    return roots


def main() -> None:
    ap = argparse.ArgumentParser(description="fetch the pinned real corpus")
    ap.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    ap.add_argument("--only", help="comma-separated package names (default: all, plus the 'all' root)")
    args = ap.parse_args()
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    roots = ensure(args.dest, only)
    print(f"{'root':<22} {'version':>10} {'files':>7} {'lines':>10}")
    versions = {root_name(d): v for d, v, _ in PINNED}
    total_files = total_lines = 0
    for name, root in roots.items():
        files, lines = count(root)
        if name != "all":
            total_files += files
            total_lines += lines
        print(f"{name:<22} {versions.get(name, ''):>10} {files:>7,} {lines:>10,}")
    print(f"{'(sum of packages)':<22} {'':>10} {total_files:>7,} {total_lines:>10,}")


if __name__ == "__main__":
    main()
