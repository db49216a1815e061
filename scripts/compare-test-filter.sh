#!/bin/bash
# scripts/compare-test-filter.sh BASE NEW [SMALL_LOG]: test-filter's output (stdout, stderr, exit code) of two built
# trees, byte for byte (the Speed line elided), on every sample log of the corpus (F2B_CORPUS, default
# ../shared/corpus/fail2ban-logs), text and --json, and on a small sshd log in every mode. For a change
# that must not change what test-filter says (start-up work).
BASE=$(realpath "${1:?usage: compare-test-filter.sh BASE_TREE NEW_TREE [SMALL_LOG]}"); NEW=$(realpath "${2:?new tree}"); SMALL=$(realpath "${3:-.bench/auth-1k.log}")
CORPUS=$(realpath "${F2B_CORPUS:-$(dirname "$0")/../../shared/corpus/fail2ban-logs}" 2>/dev/null)
if [ ! -d "$CORPUS" ]; then echo "no corpus directory: set F2B_CORPUS to the sample logs (../shared/corpus/fail2ban-logs next to the clone)" >&2; exit 2; fi
if [ ! -f "$SMALL" ]; then echo "no small log: give one (python3 ../shared/bench/gen-sshd-log.py -n 1000 -o FILE)" >&2; exit 2; fi
out=$(mktemp -d); fails=0; n=0
cd "$out"
one() { # id file extra...
  local id=$1 file=$2; shift 2
  for t in base new; do
    local tree; [ $t = base ] && tree=$BASE || tree=$NEW
    node "$tree/packages/cli/bin/f2b.js" test-filter "$id" "$file" --now 2026-12-07T00:00:00Z "$@" >"$t.out" 2>"$t.err"; echo "rc=$?" >>"$t.err"
    sed -i -E 's/^Speed: .*$/Speed: (elided)/' "$t.out"
  done
  n=$((n+1))
  if ! cmp -s base.out new.out || ! cmp -s base.err new.err; then fails=$((fails+1)); echo "DIFF: $id $file $*"; diff base.out new.out | head -5; diff base.err new.err | head -5; fi
}
for f in "$CORPUS"/*; do
  id=$(basename "$f")
  one "$id" "$f"; one "$id" "$f" --json
done
for m in normal ddos aggressive extra; do one sshd "$SMALL" --mode $m; one sshd "$SMALL" --mode $m --json; done
one sshd "$SMALL" --explain
one sshd "$SMALL" --show matched
one no-such-filter "$SMALL"
one nginx-http-auth "$SMALL"
one sshd "$SMALL" --timezone Europe/Berlin
TZ=Europe/Berlin one sshd "$SMALL"
TZ=Etc/UTC one sshd "$SMALL" --json
echo "$n comparisons, $fails differing"
rm -rf "$out"
[ $fails = 0 ]
