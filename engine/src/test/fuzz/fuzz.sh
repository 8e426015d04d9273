#!/usr/bin/env bash
# Fuzz one parser with Jazzer until 10^6 executions (or a finding), then print libFuzzer's summary.
#   engine/src/test/fuzz/fuzz.sh safetensorsHeader|configJson|spieceModel|readSettings [executions]
# Not part of CI: `mvn test` only replays the committed inputs (…FuzzTestInputs/<target>/).
# New coverage lands in .cifuzz-corpus/ (ignored); a crashing input is written next to the
# committed inputs, where the next `mvn test` replays it.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
target=${1:?usage: fuzz.sh safetensorsHeader|configJson|spieceModel|readSettings [executions]}
runs=${2:-1000000}
case "$target" in
  safetensorsHeader|configJson|spieceModel) module=engine; test="ParserFuzzTest#$target" ;;
  readSettings) module=app; test="ImageSettingsFuzzTest#$target" ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
log=$(mktemp -t "fuzz-$target-XXXX.log")
start=$(date +%s)
JAZZER_FUZZ=1 mvn -B -ntp -pl "$module" -am test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.hooks=true -Djazzer.instrument='studio.pixart.**' -Djazzer.max_executions="$runs" -Djazzer.max_duration=3h \
  >"$log" 2>&1 && status=0 || status=$?
end=$(date +%s)
grep -E "^#[0-9]+\s+(DONE|INITED)|Done [0-9]+ runs|== Java Exception|FuzzTest.*(FAIL|crash)|Tests run:.*Fail" "$log" | tail -8 || true
echo "target $target: exit $status, $((end - start)) s wall (log: $log)"
exit $status
