# Switchyard: one image for the gateway and the example echo service.
#
#   docker build -t switchyard:local .
#   docker run --rm -v $PWD/deploy/compose/gateway.yaml:/etc/switchyard/gateway.yaml:ro -p 8080:8080 switchyard:local
#   docker run --rm switchyard:local node examples/echo/dist/main.js --config /etc/switchyard/echo.yaml
#
# The build stage installs exactly the lockfile (npm ci) and compiles every workspace (npm run
# build = tsc -b, which also builds examples/echo, then copies transport-valkey's Lua into dist). The runtime stage keeps production
# dependencies only, and runs as the unprivileged `node` user.

FROM node:20-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/transport-memory/package.json packages/transport-memory/
COPY packages/transport-valkey/package.json packages/transport-valkey/
COPY packages/transport-tcp/package.json packages/transport-tcp/
COPY packages/microservice/package.json packages/microservice/
COPY packages/gateway/package.json packages/gateway/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY scripts/copy-lua.mjs scripts/
COPY packages packages
COPY examples examples
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
# Workspace packages are symlinked from node_modules/@switchyard/*; COPY keeps the links.
COPY --from=build /app/node_modules node_modules
# src stays beside dist: the Valkey backend loads its .lua scripts from there.
COPY --from=build /app/packages packages
COPY --from=build /app/examples/echo examples/echo
USER node
EXPOSE 8080 5100
CMD ["node", "packages/gateway/dist/cli.js", "--config", "/etc/switchyard/gateway.yaml"]
