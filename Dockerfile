# Build: compile TypeScript with the full toolchain.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json

# Run: production dependencies and the compiled code only. The image's own Node 24
# is the runtime (the `node` devDependency is for developer machines).
FROM node:24-bookworm-slim
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY app-manifest.json* ./
USER node
EXPOSE 3000
# A smaller young generation keeps a syncing worker under 300 MB resident (docs/benchmarks.md, Sync).
ENTRYPOINT ["node", "--max-semi-space-size=8", "bin/kpi-bridge.js"]
CMD ["api"]
