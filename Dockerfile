# ToonBot, CPU image: the bot (default) or a CPU worker (`node bin/toonbot.js worker`).
# GPU workers: Dockerfile.gpu. Build: docker build -t toonbot .
#
# Two stages: the first compiles the TypeScript (npm run build → dist/) and keeps only the
# production dependencies, with onnxruntime-node's binaries for linux-x64 alone (the package ships
# macOS, Windows and ARM ones too); the image runs plain JavaScript: no tsx at run time, no cache
# directory, so `docker run --read-only --tmpfs /tmp` works.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# .npmrc skips onnxruntime's CUDA download: the CPU binaries ship inside the npm package.
COPY package.json package-lock.json .npmrc ./
COPY stubs ./stubs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-public.mjs ./scripts/
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 node_modules/onnxruntime-node/bin/napi-v*/linux/arm64 \
 && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
# One port for everything in the container: with no bot token the studio listens on 8080 (on all
# addresses, behind a password generated into the data volume on the first start: read it with
# `docker exec <container> cat /app/data/studio-password`) and serves /healthz there; with tokens,
# /healthz, /readyz and /metrics are on 8080. An empty value in an env file counts as unset.
# MALLOC_ARENA_MAX=2: glibc's malloc gives each thread that allocates an arena of its own, up to 8
# per core, and each keeps what it freed; the engine's threads (inference, faces, onnxruntime's,
# libvips') then hold ~27 MiB more at a 1024 px job's peak, for no speed (docs/BENCHMARKS.md).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    TOONBOT_HTTP_HOST=0.0.0.0 \
    TOONBOT_HTTP_PORT=8080 \
    TOONBOT_WEB_HOST=0.0.0.0 \
    TOONBOT_WEB_PASSWORD_FILE=/app/data/studio-password

COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json .npmrc ./
COPY bin ./bin
COPY models ./models
# Photos that calibrate int8 graphs when a style is installed (`toonbot models pull`).
COPY assets ./assets

# Per-chat settings and installed styles live in volumes.
RUN mkdir -p data models/installed && chown -R node:node data models/installed
VOLUME ["/app/data", "/app/models/installed"]
USER node

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.TOONBOT_WEB_PORT || process.env.TOONBOT_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

# node itself is PID 1: it gets SIGTERM from `docker stop` and drains (TOONBOT_STOP_GRACE_S, 60 s):
# stop it with `docker stop --time 90` (docker's own default of 10 s would cut accepted jobs), or
# run it with `--stop-timeout 90`; compose sets stop_grace_period.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
