# syntax=docker/dockerfile:1.7
# The sandboxes of the external systems (Open Finance, Serasa, PIX, notify, datavalid) for staging:
#   docker build -f deploy/docker/sandboxes.Dockerfile -t cofre-sandboxes .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000
ARG RUST_IMAGE=rust:1-slim-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.8@sha256:0000000000000000000000000000000000000000000000000000000000000000

FROM ${UV_IMAGE} AS uv

FROM ${RUST_IMAGE} AS build
COPY --from=uv /uv /uvx /usr/local/bin/
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-dev \
    && rm -rf /var/lib/apt/lists/*
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/cofre
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY native/ native/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project -p python3.11
COPY cofre/ cofre/
COPY lake/ lake/
COPY serving/ serving/
COPY models/ models/
COPY features/ features/
COPY pipelines/ pipelines/
COPY sandbox/ sandbox/
COPY README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable -p python3.11

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 cofre && useradd --system --uid 10001 --gid cofre --home /var/lib/cofre cofre \
    && mkdir -p /var/lib/cofre && chown cofre:cofre /var/lib/cofre
COPY --from=build /opt/cofre /opt/cofre
ENV PATH=/opt/cofre/bin:$PATH COFRE_HOME=/var/lib/cofre PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /var/lib/cofre
EXPOSE 8700 8701 8702 8703 8704
# the world is generated on first start (deterministic: COFRE_SIM_SEED), then served
ENTRYPOINT ["sh", "-c", "cofre simulate --customers ${COFRE_SANDBOX_CUSTOMERS:-500} --months 3 && exec cofre sandbox serve --system all --host 0.0.0.0 --port 8700"]
