# One image for the three Jifen services and their migrations. docker-compose.yml
# picks the service with `command:`; the default runs training_api.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY jifen ./jifen
RUN pip install .

# Alembic runs from /app (python -m alembic -c migrations/<svc>/alembic.ini ...);
# the gateway template lets `jifen` render gateway configs from here too.
COPY migrations ./migrations
COPY gateway ./gateway

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin jifen
USER jifen

EXPOSE 8001 8002 8003
CMD ["uvicorn", "services.training_api.main:app", "--host", "0.0.0.0", "--port", "8001", \
     "--proxy-headers", "--forwarded-allow-ips", "*", \
     "--http", "shared.uvicorn_protocol:ProblemHttpToolsProtocol"]
