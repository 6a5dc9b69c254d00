# syntax=docker/dockerfile:1
# One image for every service; the command selects it: node /app/dist/apps/<service>/main.js
# Multi-arch: tools/images/build.sh runs `docker buildx build --platform linux/amd64,linux/arm64`.
ARG NODE_IMAGE=node:20-bookworm
ARG NODE_SLIM_IMAGE=node:20-bookworm-slim

# The bundles are plain JavaScript, so they are built once on the build machine's own platform.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN node tools/proto-gen.mjs && npx nx run-many -t build --outputStyle=static

# Production dependencies for the target platform (native optional deps of ssh2 differ per arch).
FROM ${NODE_SLIM_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_SLIM_IMAGE} AS runtime
# csi-node runs nvme-cli, blkid, mkfs/fsck/resize for ext4 and xfs, mount/umount on the host.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates nvme-cli e2fsprogs xfsprogs util-linux mount \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# package.json marks dist/*.js as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/apps ./dist/apps
# The node user (uid 1000) of the base image; the chart runs csi-node as root itself.
USER 1000:1000
CMD ["node", "-e", "console.log('select a service: node /app/dist/apps/<name>/main.js --config <file>; services: ' + require('fs').readdirSync('/app/dist/apps').join(', '))"]
