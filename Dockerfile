# syntax=docker/dockerfile:1
# A small image of AI Orchestrator: wheels built in one stage, installed into a slim runtime
# that runs as an unprivileged user. Web and worker share the image (`web`, `worker`, `serve`).

FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md app.yml ./
COPY bot ./bot
COPY handlers ./handlers
COPY agents ./agents
COPY storage ./storage
# bot/web/app.yml is a symlink to ../../app.yml; the wheel must carry the file itself.
RUN rm -f bot/web/app.yml && cp app.yml bot/web/app.yml \
    && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////data/ai-orchestrator.db \
    ENV_FILE_PATH=/data/.env
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /data --shell /usr/sbin/nologin app \
    && mkdir -p /data && chown app:app /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER app
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/health', timeout=4)"
ENTRYPOINT ["ai-orchestrator"]
CMD ["serve"]
