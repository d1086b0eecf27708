# syntax=docker/dockerfile:1
# Multi-stage image for self-hosting: `web` (Next standalone: admin, REST, GraphQL, webhooks)
# and `worker` (graphile-worker jobs). Both run as the unprivileged `node` user.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
WORKDIR /app
COPY . .
ENV NEXT_TELEMETRY_DISABLED=1 NODE_ENV=production
# The build evaluates the config but never connects: placeholders only, never real secrets.
RUN DATABASE_URL=postgres://build:build@localhost:5432/build \
    PAYLOAD_SECRET=build-time-placeholder-not-a-secret-0000 \
    CREDENTIALS_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    npm run build

FROM node:24-bookworm-slim AS web
WORKDIR /app
# WEB_PROCESSES: web processes sharing port 3000 (scripts/cluster.mjs); one per core you give it.
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOSTNAME=0.0.0.0 MEDIA_DIR=/data/media WEB_PROCESSES=1
COPY --from=build --chown=node:node /app/.next/standalone ./
COPY --from=build --chown=node:node /app/.next/static ./.next/static
COPY --chown=node:node scripts/cluster.mjs ./cluster.mjs
RUN mkdir -p /data/media && chown -R node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:3000/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Payload applies committed migrations (prodMigrations) when it starts in production; with several
# web processes the first one does it before the others start (scripts/cluster.mjs).
CMD ["node", "cluster.mjs"]

FROM node:24-bookworm-slim AS worker
WORKDIR /app
ENV NODE_ENV=production MEDIA_DIR=/data/media BACKUP_DIR=/data/backups \
    PG_DUMP_PATH=/usr/lib/postgresql/17/bin/pg_dump
# Backups (the backup.run job) need pg_dump of the server's major version or newer: compose runs
# PostgreSQL 17 and Debian bookworm ships 15, so the client comes from apt.postgresql.org. With
# another server version, change 17 here and PG_DUMP_PATH.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-17 \
 && apt-get purge -y curl gnupg && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.json ./
COPY --chown=node:node src ./src
# npm run restore / backup / credentials:rotate, and the seed, run inside this image.
COPY --chown=node:node scripts ./scripts
RUN mkdir -p /data/media /data/backups && chown -R node:node /data
USER node
# tsx as a loader, not as a parent process: `docker stop` must reach the worker itself (the tsx
# CLI relays SIGTERM and SIGKILLs a child that is busy for 30 ms, turning a graceful stop into a crash).
CMD ["node", "--import", "tsx", "src/jobs/worker.ts"]
