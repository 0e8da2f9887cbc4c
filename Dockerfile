# Build stage: compiles src/ to dist/ exactly like `npm run build` does locally.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies only. npm ci installs the DuckDB native binding for this platform
# (never copy node_modules from the host or from another architecture).
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The lake (lake/, raw/, state/, tmp/) lives on a volume; a fresh named volume takes this owner.
RUN mkdir -p /data && chown node:node /data
# Two malloc arenas (src/service-restart.ts): set here; `serve` still starts itself again once, for V8 lite mode.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    TRACKLAKE_DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
USER node
EXPOSE 8080
VOLUME /data
# Slim images have no curl; Node 24 has fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
# Not `npm start`: its prestart would try to rebuild without the dev dependencies. The entrypoint is the tracklake
# command, so `docker compose run tracklake status` (or run daily, import-history, auth spotify) works; the default
# command is the service.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "--expose-gc", "dist/cli.js"]
CMD ["serve"]
