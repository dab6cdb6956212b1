# syntax=docker/dockerfile:1

# Node 22 LTS (20 is past its end of life); the code also runs on Node 20, which
# package.json's engines allows and CI uses.

# ---- build: compile TypeScript to dist/ ------------------------------------
# Same base as the runtime so anything npm builds here matches the final libc.
FROM node:22-bookworm-slim AS build
WORKDIR /app

# Manifests first: the dependency layer is reused until they change,
# not on every source edit.
COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, compiled code, migrations ------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# package.json must be in the image anyway: its "type": "module" makes node
# load dist/*.js as ES modules.
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install step at run time, and a
# lifecycle script of our own (prepare → build) would need the dev tools we omit.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY --from=build /app/dist ./dist
# dist/db/migrate.js reads ../../migrations, i.e. /app/migrations; the server
# migrates at start, so the SQL has to ship with the image.
COPY migrations ./migrations

# The embedded database (no DATABASE_URL) lives in ./data by default; the
# unprivileged user must be able to create it. A volume mounted here inherits
# this ownership on first use.
RUN mkdir -p /app/data && chown node:node /app/data

# Listen on all interfaces: the 127.0.0.1 default is unreachable from outside a container.
ENV HOST=0.0.0.0 PORT=3000
USER node
EXPOSE 3000

# /healthz answers without a key and without the database (readiness is /readyz),
# so this restarts only a process that stopped serving. node's own fetch means
# no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1 and gets SIGTERM directly, so close-with-grace can
# finish in-flight requests on `docker stop`.
CMD ["node", "dist/server.js"]
