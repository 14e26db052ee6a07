#
# wvo-exporter image: TypeScript is compiled in a throw-away build stage; the
# runtime stage holds only production dependencies, dist/ and the sample
# state/ workspace, and runs as the unprivileged "node" user.
#
#   docker build -t wvo-exporter .
#   docker run --rm -p 3030:3030 wvo-exporter                      # bundled sample state/
#   docker run --rm -p 3030:3030 -v /path/to/ws:/workspace:ro \
#     -e WVO_WORKSPACE_ROOT=/workspace wvo-exporter                # a real workspace
#
# No "# syntax=" line: it would make BuildKit fetch a frontend image from a
# registry, and the file needs nothing beyond the classic syntax, so it also
# builds offline (legacy builder, docker-compose v1).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --------------------------------------------------- production dependencies
# Pruned from the build stage's install: the same lockfile, no second download.
FROM build AS deps
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

# -------------------------------------------------------------- runtime stage
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="wvo-exporter" \
      org.opencontainers.image.description="Prometheus/OTLP exporter for an AI-agent autopilot's state files" \
      org.opencontainers.image.source="https://github.com/wvo-exporter/wvo-exporter"

ENV NODE_ENV=production \
    WVO_OBSERVABILITY_HOST=0.0.0.0 \
    WVO_OBSERVABILITY_PORT=3030 \
    WVO_WORKSPACE_ROOT=/app

WORKDIR /app
# Everything is owned by root and only readable by the "node" user: the
# exporter never writes to the image.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY state ./state
COPY deploy/docker/healthcheck.cjs ./healthcheck.cjs
# docker-compose.yml's one-shot `init` service: generates the stack's secrets.
COPY deploy/docker/init-secrets.cjs ./init-secrets.cjs
# Mount points of the compose `demo` and `backfill` profiles' named volumes: a
# fresh volume takes this ownership, so the unprivileged user can write there.
RUN mkdir -p /demo /backfill && chown node:node /demo /backfill

USER node
EXPOSE 3030

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/healthcheck.cjs"]

# exec form: node is PID 1 and receives SIGTERM/SIGINT for a clean shutdown
# The same node flags as `npm start` (see README, Performance).
CMD ["node", "--max-semi-space-size=1", "--heap-growing-percent=20", "--v8-pool-size=1", "dist/cli.js"]
