#!/usr/bin/env bash
# Two ssot-lint installs, taking turns on their own copy of the same tree, with the same edits.
#
#   benchmarks/ab_edits.sh OLD_BIN NEW_BIN TREE_PREFIX LEAF HUB "OTHER FILES"
#
# OLD_BIN and NEW_BIN are `ssot-lint` executables (e.g. two venvs with `pip install -e` of two
# worktrees). TREE_PREFIX-old and TREE_PREFIX-new are two copies of one tree (each gets its own
# cache, deleted first). LEAF is a file nothing imports, HUB one most of the tree imports, OTHER
# FILES four unchanged files pre-commit also names. Every mode runs old, then new, 3 times
# (cold once); each "changed" run first appends a statement to the file (the "def" modes append a
# new function: it changes the project's tables of callable names too). The wall time of each
# run is printed, then the medians (min-max) and the old/new ratio per mode.
set -u
[ $# -eq 6 ] || { sed -n '2,12p' "$0"; exit 2; }
OLD=$1 NEW=$2 P=$3 LEAF=$4 HUB=$5 OTHERS=$6
LOG=$(mktemp)
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
both() { # both MODE FILE-TO-EDIT|- ARGS...
  local mode=$1 file=$2 v bin; shift 2
  for v in old new; do
    bin=$OLD; [ "$v" = new ] && bin=$NEW
    case $mode in
      *def*) edit="def ab_fn_$RANDOM():\n    return 1" ;;
      *) edit="ab_edit_$RANDOM = 1" ;;
    esac
    (cd "$P-$v" && { [ "$file" = - ] || printf '\n%b\n' "$edit" >>"$file"; } && echo "$mode $v $(t "$bin" "$@")") | tee -a "$LOG"
  done
}
# Byte-compile both installs first: with PYTHONDONTWRITEBYTECODE set (as on some CI and
# sandbox machines), a checkout newer than its .pyc files recompiles every changed module on
# every run (about 0.08 s per run, measured), which would be charged to that version.
for bin in "$OLD" "$NEW"; do
  py=$(dirname "$bin")/python
  # From /, so that `-c` finds each install's own package, not one in the current folder.
  (cd / && PYTHONDONTWRITEBYTECODE= "$py" -c 'import compileall, os, ssot_lint, ssot_lint.rules
for m in (ssot_lint, ssot_lint.rules): compileall.compile_dir(os.path.dirname(m.__file__), quiet=1)')
done
for v in old new; do rm -rf "$P-$v/.ssot_lint_cache"; done
both cold - check . -q
for i in 1 2 3; do both warm - check . -q; done
for i in 1 2 3; do both leaf-changed "$LEAF" check . -q; done
for i in 1 2 3; do both leaf-def-changed "$LEAF" check . -q; done
for i in 1 2 3; do both pre-commit-leaf "$LEAF" check "$LEAF" $OTHERS -q; done
for i in 1 2 3; do both pre-commit-leaf-fix "$LEAF" check --fix "$LEAF" $OTHERS -q; done
for i in 1 2 3; do both hub-changed "$HUB" check . -q; done
for i in 1 2 3; do both hub-def-changed "$HUB" check . -q; done
for i in 1 2 3; do both pre-commit-hub "$HUB" check "$HUB" $OTHERS -q; done
python3 - "$LOG" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    mode, version, seconds = line.split()
    runs[mode, version].append(float(seconds))
for mode in dict.fromkeys(m for m, _ in runs):
    old, new = runs[mode, "old"], runs[mode, "new"]
    mo, mn = statistics.median(old), statistics.median(new)
    print(f"{mode:20s} old {mo:7.2f} s ({min(old):.2f}-{max(old):.2f})   new {mn:7.2f} s ({min(new):.2f}-{max(new):.2f})   {mo / mn:4.1f}x")
PY
rm -f "$LOG"
