# Lanes worker image (used by docker-compose.yml). A first draft: it has not been built
# here (no Docker engine on the machines this project is developed on).
#
#   docker build -t lanes-worker .
#   docker run --rm -e TEMPORAL_ADDRESS=temporal:7233 -v lanes-home:/var/lib/lanes lanes-worker

# Build stage: dev dependencies (typescript) compile dist/ and the prebuilt workflow bundle.
FROM node:20 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build

# Runtime stage: production dependencies and the compiled CLI only. The full node:20
# image (not -slim) because lanes needs git, and agents' bash tools expect a normal shell.
FROM node:20
ENV NODE_ENV=production \
    LANES_HOME=/var/lib/lanes
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY schemas ./schemas
COPY --from=build /app/dist ./dist
# Owned by `node` so a fresh named volume mounted here inherits a writable folder.
RUN mkdir -p /var/lib/lanes /repos && chown node:node /var/lib/lanes
USER node
VOLUME ["/var/lib/lanes"]
CMD ["node", "bin/lanes.js", "worker"]
