#!/usr/bin/env bash
# Time to first page: a fresh clone of COMMIT (default HEAD), `make run` in a clean
# environment (no service variables, as a new user), seconds until the login page answers.
# The demo load's own time is the "Demo ready (… s)" line of `manage.py demo_setup`.
#   bench/first_page.sh [COMMIT] [PORT]       (results: docs/benchmarks.md, "Time to first page")
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse "${1:-HEAD}")
port=${2:-8731}
dir=$(mktemp -d -t edc-first-page-XXXXXX)
log="$dir.log"
git clone -q --no-checkout "$repo" "$dir"
git -C "$dir" fetch -q "$repo" "$commit"
git -C "$dir" checkout -q --detach FETCH_HEAD
cd "$dir"
started=$(date +%s.%N)
setsid env -i HOME="$HOME" PATH="$PATH" LANG=C.UTF-8 make run PORT="$port" >"$log" 2>&1 &
pid=$!
stop() { kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap stop EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login/")" = 200 ]; do
  kill -0 "$pid" 2>/dev/null || { echo "make run exited; see $log" >&2; exit 1; }
  sleep 0.5
done
ended=$(date +%s.%N)
echo "commit $(git rev-parse --short HEAD): login page after $(python3 -c "print(round($ended - $started, 1))") s"
grep -E "Demo ready|Created [0-9]+ randomized" "$log" || true
echo "log: $log; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
