# One image for both the trainer job and the server (see docker-compose.yml).
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    SEMSPACE_DATA_DIR=/data \
    SEMSPACE_ARTIFACTS_DIR=/artifacts

WORKDIR /app
COPY pyproject.toml README.md ./
COPY proto proto
COPY semspace semspace
COPY server server
COPY client client
COPY trainers trainers
# The CPU build of torch: the default wheel on PyPI is the multi-GB CUDA one.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu ".[train]"

EXPOSE 50051 9464
CMD ["semspace", "serve", "--host", "0.0.0.0"]
