# semspace — the two set-up commands are `make serve` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Datasets: ../shared/data when it is there (development, CI), else the user cache.
SEMSPACE_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),$(HOME)/.cache/semspace/data)
SEMSPACE_ARTIFACTS_DIR ?= $(abspath artifacts)
export SEMSPACE_DATA_DIR SEMSPACE_ARTIFACTS_DIR

PROTO_SRC := $(wildcard proto/semspace/v1/*.proto)

.PHONY: install serve test lint proto bench bench-search-latency bench-snapshot-stall bench-write-stalls bench-load-space bench-restart-memory bench-exclusions bench-grouped-search bench-health-under-load bench-payload-index bench-id-map bench-client-retries bench-search bench-embed-batching bench-w2v bench-images bench-load soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstalls when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

serve: install
	$(BIN)/semspace train defaults
	$(BIN)/semspace serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

proto: install
	$(BIN)/python -m grpc_tools.protoc -I proto --python_out=proto --grpc_python_out=proto \
		--pyi_out=proto $(PROTO_SRC)

bench: bench-search-latency bench-snapshot-stall bench-write-stalls bench-load-space bench-restart-memory bench-exclusions bench-grouped-search bench-health-under-load bench-payload-index bench-id-map bench-client-retries bench-search bench-embed-batching bench-w2v bench-images

bench-search-latency: install
	$(BIN)/python bench/search_latency.py

bench-snapshot-stall: install
	$(BIN)/python bench/snapshot_stall.py

bench-write-stalls: install
	$(BIN)/python bench/write_stalls.py

bench-load-space: install
	$(BIN)/python bench/load_space.py --indexes flat hnsw

bench-restart-memory: install
	$(BIN)/python bench/restart_memory.py

bench-exclusions: install
	$(BIN)/python bench/exclusions.py

bench-grouped-search: install
	$(BIN)/python bench/grouped_search.py

bench-payload-index: install
	$(BIN)/python bench/payload_index.py

bench-id-map: install
	$(BIN)/python bench/id_map.py

bench-health-under-load: install
	$(BIN)/python bench/health_under_load.py

bench-client-retries: install
	$(BIN)/python bench/client_retries.py

# Flat/HNSW/IVF-PQ over gRPC vs FAISS in process and milvus-lite; needs the default spaces.
bench-search: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/search_bench.py

# Image Embed with the running-batch cap on and lifted; needs the default spaces.
bench-embed-batching: install
	$(BIN)/python bench/embed_batching.py --artifacts-dir $(SEMSPACE_ARTIFACTS_DIR)

bench-w2v: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/bench_w2v.py

bench-images: install
	$(BIN)/python bench/images_eval.py --data-dir $(SEMSPACE_DATA_DIR) --artifacts-dir $(SEMSPACE_ARTIFACTS_DIR)

bench-load: install
	$(BIN)/python bench/load.py --concurrency 16 --seconds 10 --tag load

# The long proofs of issue 7: 20 SIGKILLs mid-stream, then concurrency 64 for 60 s.
soak: install
	SEMSPACE_CRASH_ITERATIONS=20 $(BIN)/pytest -q -s -p no:cacheprovider tests/e2e/test_crash_safety.py
	$(BIN)/python bench/load.py --concurrency 64 --seconds 60 --tag soak

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
