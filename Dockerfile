# Clusterflow image: one image, two entry points (the API by default; docker-compose.yml
# runs the worker from the same image with `node dist/worker/main.js`).
#
#   docker build -t clusterflow:local .
#
# Stage `build` compiles TypeScript and better-sqlite3's native addon, then drops the dev
# dependencies; the runtime stage copies only package files, production node_modules and
# dist/, and runs as the unprivileged `node` user.

# Node.js 24 LTS, the version scripts/node-runtime.js pins for machines whose Node is older.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 builds its addon with node-gyp when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY . .
# Fail the image build, not the container start, if an entry point went missing.
RUN npm run build \
 && test -f dist/api/main.js \
 && test -f dist/worker/main.js \
 && test -f dist/console/index.html \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CLUSTERFLOW_DATA_DIR=/data \
    CLUSTERFLOW_API_HOST=0.0.0.0 \
    CLUSTERFLOW_API_PORT=8080
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir (SQLite store, generated token and key) is a volume shared by API and worker;
# a fresh named volume takes this directory's owner.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
CMD ["node", "dist/api/main.js"]
