# The mentionwatch image compose.yaml runs as the API, crawler and worker services
# (docs/SCALE_OUT.md). CPU only: torch is pinned and installed first, as `make install` does.
# The dashboard's chart library and Swagger UI come from npm, as `make install` gets them.
FROM node:20-slim AS web
WORKDIR /web
COPY api/web/package.json api/web/package-lock.json ./
RUN npm ci --omit=dev

FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir torch==2.13.0
COPY pyproject.toml README.md ./
COPY api api
COPY bench bench
COPY crawlers crawlers
COPY index index
COPY sentiment sentiment
COPY --from=web /web/node_modules api/web/node_modules
RUN pip install --no-cache-dir '.[scale]' \
    && python -m sentiment.checkpoint
ENTRYPOINT ["mentionwatch"]
