# DataHaul for a cluster: one image for web and worker processes (the command picks which).
# Written to the commands the README and the tests use; not built on the machines it was written
# on (they have no Docker engine), so build and try it in your environment first.
FROM node:20-bookworm-slim

# build tools for better-sqlite3's native module when no prebuilt binary fits
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY scripts ./scripts
COPY server/db-url.ts ./server/db-url.ts
RUN npm ci
COPY . .
RUN npx next build

ENV NODE_ENV=production DATA_DIR=/data PORT=3000
VOLUME /data
EXPOSE 3000
# web: npm start (RUN_MODE=web); worker: npm run worker
CMD ["npm", "start"]
