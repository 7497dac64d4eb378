#!/usr/bin/env bash
# Builds the CPU image and checks it the way an operator would use it (needs a Docker daemon, so it
# is not part of `npm test`):
#   1. image size; `docker run` with no environment: healthy, and how long that took;
#   2. the studio (password from the data volume) returns a cartoon;
#   3. `docker stop` while a 2048 px job runs: the job is answered, the exit code is 0;
#   4. read-only root with a tmpfs: still healthy;
#   5. `docker compose up` (Redis, the bot, a CPU worker) healthy on a host without a GPU.
# Usage: scripts/container-check.sh   (as a user who may run docker). BUILD_NETWORK=host builds
# with the host's network (where the docker bridge has no route out, as with the local stand-ins).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=toonbot:check
PORT=${PORT:-18080}
NAME=toonbot-check
say() { printf '%s\n' "$*"; }
cleanup() { docker rm -f "$NAME" "$NAME-ro" >/dev/null 2>&1 || true; }
trap cleanup EXIT

wait_healthy() { # container, seconds
  local started=$SECONDS
  while [ $((SECONDS - started)) -lt "$2" ]; do
    if curl -fsS "http://127.0.0.1:$3/healthz" >/dev/null 2>&1; then echo $((SECONDS - started)); return 0; fi
    sleep 0.2
  done
  return 1
}

say "== build"
docker build ${BUILD_NETWORK:+--network "$BUILD_NETWORK"} -q -t "$IMAGE" . >/dev/null
say "image size: $(docker image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1000/1000}')"

say "== docker run, no environment"
cleanup
t0=$(date +%s.%N)
docker run -d --name "$NAME" -p "127.0.0.1:$PORT:8080" --stop-timeout 90 "$IMAGE" >/dev/null
wait_healthy "$NAME" 60 "$PORT" >/dev/null || { docker logs "$NAME" | tail -20; exit 1; }
say "first /healthz after: $(echo "$(date +%s.%N) - $t0" | bc | awk '{printf "%.1f s", $1}')"
for _ in $(seq 1 150); do [ "$(docker inspect "$NAME" --format '{{.State.Health.Status}}')" = healthy ] && break; sleep 0.2; done
say "docker health: $(docker inspect "$NAME" --format '{{.State.Health.Status}}') (the first probe runs after the interval)"
PASSWORD=$(docker exec "$NAME" cat /app/data/studio-password)
[ -n "$PASSWORD" ] || { say "no studio password in the volume"; exit 1; }

say "== a cartoon through the studio"
code=$(curl -sS -u "x:$PASSWORD" -F photo=@dev/fixtures/astronaut.png -F resolution=512 -o /tmp/container-check.png -w '%{http_code} %{content_type}' "http://127.0.0.1:$PORT/api/cartoon")
say "POST /api/cartoon: $code, $(wc -c </tmp/container-check.png) bytes"
case "$code" in 200\ image/png*) ;; *) exit 1 ;; esac

say "== docker stop while a 2048 px job runs"
curl -sS -u "x:$PASSWORD" -F photo=@dev/fixtures/astronaut.png -F resolution=2048 -o /tmp/container-check-2048.png -w '%{http_code}' "http://127.0.0.1:$PORT/api/cartoon" >/tmp/container-check-code &
job=$!
sleep 0.5
docker stop --time 90 "$NAME" >/dev/null
wait $job || true
say "the job in flight was answered: HTTP $(cat /tmp/container-check-code), $(wc -c </tmp/container-check-2048.png) bytes"
say "exit code: $(docker inspect "$NAME" --format '{{.State.ExitCode}}')"
[ "$(cat /tmp/container-check-code)" = 200 ] && [ "$(docker inspect "$NAME" --format '{{.State.ExitCode}}')" = 0 ] || exit 1

say "== read-only root, tmpfs /tmp"
docker run -d --name "$NAME-ro" --read-only --tmpfs /tmp -v toonbot-check-data:/app/data -p "127.0.0.1:$((PORT + 1)):8080" "$IMAGE" >/dev/null
s=$(wait_healthy "$NAME-ro" 60 "$((PORT + 1))") || { docker logs "$NAME-ro" | tail -20; exit 1; }
say "healthy after ${s} s with a read-only root"
docker rm -f "$NAME-ro" >/dev/null
docker volume rm toonbot-check-data >/dev/null

say "== docker compose up (no .env, no GPU)"
if ! docker compose version >/dev/null 2>&1; then
  say "skipped: the compose file needs Docker Compose v2.24+ (optional env_file); this host has $(docker-compose version --short 2>/dev/null || echo none)"
  say "== all other checks passed"
  exit 0
fi
# The services' images are the one just built (compose would build it again, with the bridge's network).
docker tag "$IMAGE" toonbot-check-bot && docker tag "$IMAGE" toonbot-check-worker-cpu
docker compose -p toonbot-check up -d --no-build --wait --wait-timeout 120 >/dev/null 2>&1 || { docker compose -p toonbot-check ps; docker compose -p toonbot-check logs --tail 20; docker compose -p toonbot-check down -v; exit 1; }
docker compose -p toonbot-check ps --format '{{.Service}}: {{.State}} {{.Health}}'
curl -fsS "http://127.0.0.1:8080/readyz" && echo
docker compose -p toonbot-check down -v >/dev/null 2>&1
say "== all checks passed"
