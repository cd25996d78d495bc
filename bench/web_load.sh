#!/usr/bin/env bash
# Web load benchmark: the daily and trending pages over SQLite holding 100k synthetic
# papers, served by uvicorn with 2 workers on loopback, loaded with wrk (Debian), for a
# signed-out reader and for a signed-in one (a real session: bench/web_reader.py makes
# the account and its votes and saves among the front page's papers through the site's
# own functions and prints the session cookie).
# Bounded: each wrk run lasts DURATION seconds (default 10); the whole script ~2 min.
# Prints requests/s, p50/p99 latency and errors per URL. Measured in the same run: the
# daily page rendered on every request (a request with an Authorization header, here one
# that signs no one in, is never answered from the kept pages: web/page_cache.py), and
# each page signed out (served from the kept pages), the baseline of its signed-in row.
#
#   bench/web_load.sh                  # 100k papers, 10 s per URL, 32 connections
#   PAPERS=20000 DURATION=5 bench/web_load.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
PAPERS="${PAPERS:-100000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
WORKERS="${WORKERS:-2}"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

WORK="$(mktemp -d /tmp/paperwire-webload.XXXXXX)"
DB_CACHE="${DB_CACHE:-/tmp/paperwire-webload-${PAPERS}.db}"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The database is reused between runs (it takes a while to write); delete it to rebuild.
if [ ! -s "$DB_CACHE" ]; then
  "$PY" "$ROOT/bench/make_web_db.py" "sqlite:///$DB_CACHE" "$PAPERS"
fi

# The reader's session (and the secret key that signs its cookie) in the server's data dir.
READER="$(PAPERWIRE_DATA_DIR="$WORK/data" PAPERWIRE_LOAD_SAMPLE=false "$PY" "$ROOT/bench/web_reader.py" "sqlite:///$DB_CACHE")"

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
PAPERWIRE_DATABASE_URL="sqlite:///$DB_CACHE" PAPERWIRE_LOAD_SAMPLE=false PAPERWIRE_DATA_DIR="$WORK/data" \
  "$PY" -m uvicorn --factory paperwire.app:app_from_env --host 127.0.0.1 --port "$PORT" \
  --workers "$WORKERS" --log-level warning --no-access-log >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$BASE/healthz" >/dev/null || { echo "server did not start:"; cat "$WORK/server.log"; exit 1; }

# The cookie must sign the reader in: their name in the header, their votes pressed.
SIGNED_IN_PAGE="$(curl -fsS -H "$READER" "$BASE/")"
grep -q 'Bench &lt;Reader&gt;' <<<"$SIGNED_IN_PAGE" && grep -q 'aria-pressed="true"' <<<"$SIGNED_IN_PAGE" \
  || { echo "the session cookie does not sign the reader in" >&2; exit 1; }

echo "machine: $(nproc) cores, $(uname -sr), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "papers: $PAPERS  workers: $WORKERS  connections: $CONNECTIONS  duration: ${DURATION}s per URL"
printf '%-34s %10s %10s %10s %8s\n' url "req/s" "p50" "p99" errors

run() {
  local label="$1" path="$2"
  shift 2
  # Warm every worker's rendered-page cache and the SQLite page cache.
  for _ in $(seq 1 20); do curl -fsS -o /dev/null "$@" "$BASE$path"; done
  local out
  local header=()
  [ $# -gt 0 ] && header=(-H "${2}")
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency "${header[@]}" "$BASE$path")"
  echo "$out" >"$WORK/wrk-$(echo "$path" | tr -c 'a-z0-9' '_').txt"
  local rps p50 p99 non2xx sock
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")"
  sock="$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$out")"
  printf '%-34s %10s %10s %10s %8s\n' "$label" "$rps" "$p50" "$p99" "$(( ${non2xx:-0} + ${sock:-0} ))"
}

run "/ (rendered per request)" / -H "Authorization: Bearer signs-no-one-in"
run "/" /
run "/ signed in" / -H "$READER"
run "/trending" /trending
run "/trending signed in" /trending -H "$READER"
run "/trending?period=week" "/trending?period=week"
run "/trending?period=week signed in" "/trending?period=week" -H "$READER"
