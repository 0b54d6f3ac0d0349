# syntax=docker/dockerfile:1
# One image for every folder-sync command: `docker run IMAGE worker|serve|publish|status|plan|resync|simulator`.
# docs/docker.md explains the stack; test/compose/ checks this file (no Docker engine on CI).

# ---- build: compile the TypeScript sources to dist/ -------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# dependencies first: this layer is reused until package.json or the lockfile changes
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script would build before the sources are here (the next step builds)
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the compiled code, the example rules --------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# its own install (not node_modules copied from the build stage): this layer depends only on the
# package files, so a code change ships as a small dist/ layer. The service's packages are optional
# peers of the npm package (an app that only publishes installs 10 packages): service-manifest.mjs
# makes them dependencies, and the prune drops the dev tooling, at the lockfile's versions.
COPY package.json package-lock.json ./
COPY scripts/service-manifest.mjs ./scripts/
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund \
  && node scripts/service-manifest.mjs && npm prune --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY examples ./examples
# the files stay owned by root: the service only reads them
USER node
# The serve role answers /healthz on HTTP_PORT; a worker answers it on WORKER_METRICS_PORT when that
# is set (docker-compose.yml sets it). Other roles (simulator, one-shot commands) override or disable
# the check: see docs/docker.md. No curl in a slim image: Node's fetch does it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=Number(process.env.WORKER_METRICS_PORT)||Number(process.env.HTTP_PORT)||8080;fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/folder-sync.js"]
CMD ["worker"]
