# The dxp worker image (see docker-compose.yml). Debian, not Alpine: @temporalio/core-bridge
# ships prebuilt glibc binaries.
FROM node:20-bookworm-slim

# The SDK's Rust core reads the system CA store for TLS (e.g. Temporal Cloud). bubblewrap and
# python3 are for sandboxed tools (the agent demo runs Python); under Docker's default seccomp
# profile bwrap cannot make namespaces, and sandboxes fall back to weak isolation, loudly.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates bubblewrap python3 \
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
