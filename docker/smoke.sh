#!/usr/bin/env bash
# Smoke test of the soak image on a real Docker engine:
#   1. build the image;
#   2. docker run a soak with a host directory as /data, wait until it is healthy and has
#      committed batches, docker stop it, and check exit status 143 (128 + SIGTERM: stopped by
#      the signal, cleanly, after its summary), the summary and the findings database from the
#      host;
#   3. the same through docker compose (named volume, stop_grace_period), reading the results
#      out with docker compose cp.
# Needs: docker with Compose v2, python3 on the host. Usage: bash docker/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${PCEMU_IMAGE:-pcemu:smoke}
RUN_NAME=pcemu-smoke-$$
PROJECT=pcemu-smoke-$$
WORK=$(mktemp -d)
COMPOSE=(docker compose -f docker/compose.yaml -p "$PROJECT")

log() { printf 'smoke: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
cleanup() {
  docker rm -f "$RUN_NAME" >/dev/null 2>&1 || true
  "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq "$limit"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fail "timed out waiting for $what"
}

committed() {  # committed DB: at least two batches are in the findings store
  python3 - "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
n = con.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
sys.exit(0 if n >= 2 else 1)
PY
}

check_results() {  # check_results DIR: summary and store readable from the host, consistent
  python3 - "$1" <<'PY'
import json, sqlite3, sys
from pathlib import Path
d = Path(sys.argv[1])
s = json.loads((d / "summary.json").read_text())
assert s["stop_reason"] == "signal SIGTERM", s["stop_reason"]
assert s["runs"] > 0 and s["batches_committed"] > 0, s
assert (d / "summary.txt").read_text().startswith("soak signal SIGTERM:")
con = sqlite3.connect(f"file:{d / 'findings.db'}?mode=ro", uri=True)
runs = con.execute("SELECT SUM(runs) FROM batches WHERE lane != 'selfcheck'").fetchone()[0]
assert runs == s["store"]["runs"] > 0, (runs, s["store"])
n = con.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
assert n == len(s["findings"]), (n, len(s["findings"]))
print(f"smoke: {d.name}: {runs} runs, {s['batches_committed']} batches, {n} findings; "
      f"stopped by {s['stop_reason']}")
PY
}

exit_code() { docker inspect -f '{{.State.ExitCode}}' "$1"; }
# docker stop sends SIGTERM: a soak stopped by it exits 143 (128 + 15) once its summary is out.
STOPPED=143

if ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0  # no buildx plugin: the classic builder handles this Dockerfile
fi

log "building $IMAGE"
docker build -q -f docker/Dockerfile -t "$IMAGE" . >/dev/null

# --- 1. docker run / docker stop ----------------------------------------------------------
mkdir -p "$WORK/run"
chmod 777 "$WORK/run"  # the image runs as an unprivileged user
log "docker run: soak into $WORK/run"
docker run -d --name "$RUN_NAME" --health-interval 2s --health-start-period 60s \
  -v "$WORK/run:/data" "$IMAGE" \
  soak --out /data --resume --listen 0.0.0.0:9477 --grace 7 --scenarios anon-vma-reuse \
  --workers 2 --heartbeat 2 >/dev/null
[ "$(docker exec "$RUN_NAME" id -u)" != 0 ] || fail "the soak runs as root"
[ "$(docker exec "$RUN_NAME" cat /proc/1/comm)" = tini ] || fail "PID 1 is not tini"
wait_for 120 "a healthy container" \
  sh -c "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $RUN_NAME)\" = healthy ]"
wait_for 120 "committed batches" committed "$WORK/run/findings.db"
# Heartbeats come every 2 s: a fast start can commit batches before the first one.
wait_for 60 "a heartbeat line in docker logs" \
  sh -c "docker logs '$RUN_NAME' 2>&1 | grep -q '\"event\": \"soak.heartbeat\"'"
log "docker stop"
docker stop -t 30 "$RUN_NAME" >/dev/null
[ "$(exit_code "$RUN_NAME")" = "$STOPPED" ] || fail "exit status $(exit_code "$RUN_NAME") after docker stop (want $STOPPED)"
# Read the logs into a file first: under pipefail, `docker logs | grep -q` fails whenever grep
# stops reading at its first match before docker logs has written everything (SIGPIPE).
docker logs "$RUN_NAME" >"$WORK/run.log" 2>&1
grep -q '"event": "soak.heartbeat"' "$WORK/run.log" || fail "no heartbeat in docker logs"
grep -q '"event": "soak.end"' "$WORK/run.log" || fail "no soak.end in docker logs"
check_results "$WORK/run"

# --- 2. docker compose up / stop ----------------------------------------------------------
PCEMU_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PCEMU_IMAGE=$IMAGE PCEMU_PORT
log "docker compose up (status on 127.0.0.1:$PCEMU_PORT)"
"${COMPOSE[@]}" up -d --no-build >/dev/null 2>&1
cid=$("${COMPOSE[@]}" ps -q soak)
[ -n "$cid" ] || fail "compose started no soak container"
wait_for 120 "/healthz through the published port" python3 -c \
  "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PCEMU_PORT/healthz', timeout=3)"
wait_for 180 "committed batches in the compose soak" \
  "${COMPOSE[@]}" exec -T soak python -c \
  "import sqlite3, sys; c = sqlite3.connect('/data/findings.db'); sys.exit(c.execute('SELECT COUNT(*) FROM batches').fetchone()[0] < 2)"
log "docker compose stop"
"${COMPOSE[@]}" stop >/dev/null 2>&1
[ "$(exit_code "$cid")" = "$STOPPED" ] || fail "exit status $(exit_code "$cid") after compose stop (want $STOPPED)"
mkdir -p "$WORK/compose"
for f in findings.db summary.json summary.txt; do
  "${COMPOSE[@]}" cp "soak:/data/$f" "$WORK/compose/$f" >/dev/null 2>&1 || fail "no /data/$f in the volume"
done
check_results "$WORK/compose"
"${COMPOSE[@]}" run --rm --no-deps soak findings /data >"$WORK/findings.txt" 2>&1 \
  || fail "pcemu findings /data failed: $(cat "$WORK/findings.txt")"
log "pcemu findings /data: $(wc -l <"$WORK/findings.txt") lines"
"${COMPOSE[@]}" down -v >/dev/null 2>&1

# --- 3. scale-out: two replicas on one volume claim shards 0/2 and 1/2; merge their stores ---
log "docker compose up --scale soak=2 with PCEMU_SHARD=auto/2"
PCEMU_SHARD=auto/2 PCEMU_PORT='' "${COMPOSE[@]}" up -d --no-build --scale soak=2 >/dev/null 2>&1
for i in 1 2; do
  wait_for 180 "committed batches in replica $i" \
    "${COMPOSE[@]}" exec -T --index "$i" soak python -c \
    "import glob, sqlite3, sys; dbs = glob.glob('/data/shard-*-of-2/findings.db'); sys.exit(len(dbs) < 2 or min(sqlite3.connect(d).execute('SELECT COUNT(*) FROM batches').fetchone()[0] for d in dbs) < 1)"
done
"${COMPOSE[@]}" stop >/dev/null 2>&1
for cid in $("${COMPOSE[@]}" ps -aq soak); do
  [ "$(exit_code "$cid")" = "$STOPPED" ] || fail "a replica exited with $(exit_code "$cid") (want $STOPPED)"
done
"${COMPOSE[@]}" run --rm --no-deps -e PCEMU_SHARD=0/1 soak findings /data/merged \
  --merge /data/shard-0-of-2 --merge /data/shard-1-of-2 >"$WORK/merged.txt" 2>&1 \
  || fail "merging the shards failed: $(cat "$WORK/merged.txt")"
grep -q '^merged /data/shard-0-of-2: ' "$WORK/merged.txt" || fail "shard 0 not merged"
grep -q '^merged /data/shard-1-of-2: ' "$WORK/merged.txt" || fail "shard 1 not merged"
log "$(grep '^merged' "$WORK/merged.txt" | tr '\n' ' ')"
log "passed"
