#!/usr/bin/env bash
# CI entry for the Docker smoke test (called by .ci/run). Starts a Docker engine with the
# workplace tool when it exists (it also provides Compose v2 and stand-ins for the base images,
# as no container registry is reachable), runs docker/smoke.sh, and stops the engine again if
# this script started it.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=../shared/tools/docker-engine.sh

started=0
if ! docker info >/dev/null 2>&1; then
  if [ -f "$tool" ]; then
    bash "$tool" start docker/Dockerfile
    started=1
  else
    echo "docker smoke: skipped (no Docker engine and no $tool to start one)"
    exit 0
  fi
else
  # An engine is running; the tool still provides Compose and the base-image stand-ins.
  if [ -f "$tool" ]; then bash "$tool" start docker/Dockerfile; fi
fi
status=0
bash docker/smoke.sh || status=$?
if [ "$started" = 1 ]; then bash "$tool" stop || true; fi
exit "$status"
