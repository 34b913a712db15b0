#!/usr/bin/env bash
# Runs test files again and again to measure flakiness: `npm run test:repeat -- N FILE...`
# runs each FILE N times in a row (after one build) and prints, per file, the runs that
# failed and the wall time of each run. Each failing run's output is kept in the log dir.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: npm run test:repeat -- N FILE..." >&2
  exit 2
fi
runs=$1
shift
node scripts/ensure-deps.js && npm run build --silent || exit 1
logs=$(mktemp -d "${TMPDIR:-/tmp}/cf-repeat-XXXXXX")
summary=()
total_failed=0
for file in "$@"; do
  failed=0
  times=()
  for i in $(seq 1 "$runs"); do
    start=$(date +%s)
    # Under Node 24, as `npm test` runs (scripts/node-runtime.js; its one line goes to the log).
    if node scripts/node-runtime.js npx jest --runInBand "$file" >"$logs/run.log" 2>&1; then
      result=pass
    else
      result=FAIL
      failed=$((failed + 1))
      cp "$logs/run.log" "$logs/$(basename "$file")-$i.log"
    fi
    times+=("$(( $(date +%s) - start ))s")
    echo "$file run $i/$runs: $result in ${times[-1]}"
  done
  total_failed=$((total_failed + failed))
  summary+=("$file: $((runs - failed)) passed, $failed failed of $runs (${times[*]})")
done
echo
printf '%s\n' "${summary[@]}"
echo "logs of failed runs: $logs"
[ "$total_failed" = 0 ]
