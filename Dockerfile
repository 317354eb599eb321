# The AH Chat standalone server (`npx ah-chat`) as an image. Build from the repository root:
#   docker build -t ah-chat .
# Configured by environment variables only (`docker run --rm ah-chat --help` lists them).
# For two instances behind nginx with PostgreSQL and Redis, see deploy/compose.yaml.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY widget widget
COPY scripts scripts
# The same tarball a shop installs from the registry: dist/ only, built by prepack.
RUN npm pack --pack-destination /tmp && mv /tmp/ah-chat-*.tgz /tmp/ah-chat.tgz

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8001 \
    AHCHAT_DB=/data
WORKDIR /app
COPY --from=build /tmp/ah-chat.tgz /tmp/ah-chat.tgz
# express is a peer dependency (npm installs it); pg and ioredis are the optional peers that
# AHCHAT_DATABASE_URL and AHCHAT_REDIS_URL load.
RUN echo '{"name":"ah-chat-server","private":true}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/ah-chat.tgz pg@8 ioredis@6 \
 && rm /tmp/ah-chat.tgz && npm cache clean --force \
 && mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/ahchat/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1: SIGTERM reaches the server, which finishes in-flight messages and exits 0.
ENTRYPOINT ["node", "/app/node_modules/ah-chat/dist/server/index.js"]
