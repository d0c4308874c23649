# The dxp worker image (see docker-compose.yml). Debian, not Alpine: @temporalio/core-bridge
# ships prebuilt glibc binaries.
FROM node:20-bookworm-slim

# The SDK's Rust core reads the system CA store for TLS (e.g. Temporal Cloud).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so code edits reuse this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

# A new named volume takes this directory's owner, so the non-root user can write results.
RUN mkdir -p /data && chown node:node /data
USER node

CMD ["node", "bin/dxp.js", "worker"]
