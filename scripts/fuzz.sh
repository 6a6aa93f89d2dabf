#!/usr/bin/env bash
# fuzz.sh TARGET PACKAGE FUZZTIME: go test -fuzz of one target. Go 1.26's
# fuzzing coordinator can fail a run at the -fuzztime boundary with a bare
# "context deadline exceeded" that found nothing (go.dev/issue/75804, fixed
# in Go 1.27); such a run, and only such a run (no reproducer written under
# testdata/fuzz/TARGET), is run once more. Any other failure fails.
set -u
target=$1 pkg=$2 fuzztime=$3
go=${GO:-go}
corpus="$pkg/testdata/fuzz/$target"
count() { find "$corpus" -type f 2>/dev/null | wc -l; }
for attempt in 1 2; do
  before=$(count)
  out=$("$go" test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg" 2>&1)
  status=$?
  printf '%s\n' "$out"
  [ "$status" -eq 0 ] && exit 0
  if [ "$(count)" -ne "$before" ] || ! printf '%s\n' "$out" | grep -qx '    context deadline exceeded'; then
    exit "$status"
  fi
  echo "fuzz.sh: $target: the coordinator's deadline race (go.dev/issue/75804), nothing found; attempt $attempt of 2" >&2
done
exit 1
