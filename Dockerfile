# syntax=docker/dockerfile:1
# One image for both roles; docker-compose.yml picks the command:
#   gateway: node lib/src/api/main.js      worker: node lib/src/worker/main.js
# Node is pinned to an exact release (the same major as `engines` in package.json).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: install everything from the lockfile, compile TypeScript, then drop the dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only, run as the unprivileged `node` user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for `node`: the processes write nothing to disk.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib/src ./lib/src
COPY --from=build /app/lib/examples ./lib/examples
COPY --from=build /app/bin ./bin
USER node
EXPOSE 3000
CMD ["node", "lib/src/api/main.js"]
