# syntax=docker/dockerfile:1
# One image runs every app process (api, worker, migrate): `docker run kpi-bridge <command>`.

# Build: compile TypeScript with the full toolchain.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json \
 # What production runs: the app and its migrations; the HubSpot simulator and the
 # benchmarks stay out of the runtime image (the `demo` target below adds the simulator).
 && mkdir -p /out/runtime/dist /out/demo/dist/src \
 && cp -r dist/src dist/migrations /out/runtime/dist/ \
 && rm -rf /out/runtime/dist/src/simulator \
 && cp -r dist/src/simulator /out/demo/dist/src/

# Production dependencies only, shared by both targets below.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# The demo: the runtime plus the simulated HubSpot (`docker compose --profile demo up`).
FROM node:24-bookworm-slim AS demo
ENV NODE_ENV=development HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json app-manifest.json ./
COPY bin ./bin
COPY --from=build /out/runtime/dist ./dist
COPY --from=build /out/demo/dist ./dist
USER node
ENTRYPOINT ["node", "--max-semi-space-size=8", "bin/kpi-bridge.js"]
CMD ["demo"]

# Run: production dependencies and the compiled app only. The image's own Node 24 is the
# runtime (the `node` devDependency is for developer machines). Last stage = default target.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json app-manifest.json ./
COPY bin ./bin
COPY --from=build /out/runtime/dist ./dist
USER node
EXPOSE 3000
# A smaller young generation keeps a syncing worker under 300 MB resident (docs/benchmarks.md, Sync).
ENTRYPOINT ["node", "--max-semi-space-size=8", "bin/kpi-bridge.js"]
CMD ["api"]
