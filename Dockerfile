# BTC MES server image: `docker build -t btc-mes .` — runs `mes serve` (or `mes worker`) as the
# unprivileged `node` user on Node.js 22. docs/deployment.md.

# 1. Build: compile the server and the CLI (tsc) and the browser app (vite).
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# 2. Runtime dependencies only (native modules built here), plus TypeScript, which the plugin runtime
#    uses to compile plugins installed from source folders.
FROM node:22-bookworm-slim AS runtime-deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm install --no-save --no-audit --no-fund "typescript@$(node -p "require('./package-lock.json').packages['node_modules/typescript'].version")"

# 3. The image: the build, the metadata and plugin catalog it reads at startup, no compilers.
FROM node:22-bookworm-slim
# MALLOC_MMAP_THRESHOLD_: glibc gives every allocation of 4 MiB or more its own mapping, returned to the
# system when freed, so the 19 MiB of each password hash does not stay in the server after a sign-in.
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=4194304 \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json \
    SHUTDOWN_DRAIN_MS=5000 \
    SHUTDOWN_TIMEOUT_MS=30000 \
    PLUGIN_STORE_DIR=/app/data/plugins
WORKDIR /app
# mariadb-client: `mes backup` / `mes restore` run mariadb-dump and mariadb.
RUN apt-get update \
  && apt-get install -y --no-install-recommends mariadb-client tini \
  && rm -rf /var/lib/apt/lists/*
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/ui-runtime/dist ./ui-runtime/dist
COPY package.json ./
COPY bin ./bin
COPY metadata ./metadata
COPY plugins ./plugins
# /app/data/files exists in the image, so a volume mounted there starts out owned by node.
RUN mkdir -p /app/data/files /app/data/plugins && chown -R node:node /app/data
USER node
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/mes.js", "serve"]
