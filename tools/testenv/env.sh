#!/usr/bin/env bash
# Prints the test-peer bin dir (built by tools/testenv/build.sh).
#   bash tools/testenv/env.sh            -> /path/to/.cache/testenv/bin
#   eval "$(bash tools/testenv/env.sh --export)"   -> puts it first on PATH, sets TESTENV_BIN
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${TESTENV_BIN:-${TESTENV_DIR:-$(cd "$HERE/../.." && pwd)/.cache/testenv}/bin}
if [[ ${1:-} == --export ]]; then
  printf 'export TESTENV_BIN=%q\nexport PATH=%q:"$PATH"\n' "$BIN" "$BIN"
else
  echo "$BIN"
fi
