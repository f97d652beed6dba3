"""milvus-lite, embedded as its users run it: `MilvusClient("<dir>/milvus.db")`. Note that
milvus-lite 3.x serves gRPC from threads inside the calling process, so its server shares this
process (and its GIL) with the benchmark's client threads."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from search.datasets import Dataset
from search.indexes import IndexConfig
from search.measure import SearchFn

log = logging.getLogger(__name__)

COLLECTION = "bench"
INSERT_BATCH = 10_000
METRICS = {"cosine": "COSINE", "l2": "L2", "ip": "IP"}
# What each semspace index is asked of milvus-lite, closest first; the first one it builds wins.
CANDIDATES = {"flat": ("FLAT",), "hnsw": ("HNSW",), "ivf_pq": ("IVF_PQ", "IVF_SQ8")}


def build_params(milvus_type: str, config: IndexConfig) -> dict[str, dict[str, int]]:
    """Build parameters, nested under "params": pymilvus 3.0 flattens a plain dict into one
    key per parameter, which milvus-lite 3.2 ignores without a word (it then builds HNSW with
    efConstruction=200 and IVF with nlist=128); a nested "params" reaches it as JSON."""
    return {"params": _build_params(milvus_type, config)}


def _build_params(milvus_type: str, config: IndexConfig) -> dict[str, int]:
    p = config.params
    if milvus_type == "HNSW":
        return {"M": p["m"], "efConstruction": p["ef_construction"]}
    if milvus_type == "IVF_PQ":
        return {"nlist": p["nlist"], "m": p["pq_m"], "nbits": p["pq_bits"]}
    if milvus_type.startswith("IVF"):
        return {"nlist": p["nlist"]}
    return {}


def query_params(milvus_type: str, config: IndexConfig, knob: int | None = None) -> dict[str, Any]:
    if milvus_type == "HNSW":
        return {"params": {"ef": knob or config.params["ef_search"]}}
    if milvus_type.startswith("IVF"):
        return {"params": {"nprobe": knob or config.params["nprobe"]}}
    return {}


def built(index: object) -> str:
    """An index's class and the parameters FAISS really holds, not the ones asked for."""
    name = type(index).__name__
    try:
        inner = faiss.downcast_index(index._index)  # type: ignore[attr-defined]
    except AttributeError:
        return name
    if isinstance(inner, faiss.IndexHNSW):
        return f"{name}(M={inner.hnsw.nb_neighbors(1)}, efConstruction={inner.hnsw.efConstruction})"
    if isinstance(inner, faiss.IndexIVF):
        return f"{name}(nlist={inner.nlist})"
    return name


class MilvusLite:
    """One embedded milvus-lite database holding one collection at a time."""

    def __init__(self, db_path: Path) -> None:
        from pymilvus import MilvusClient  # the bench extra; imported only when milvus runs

        self.db_path = db_path
        self.client = MilvusClient(str(db_path))
        self.index_type = ""

    def insert(self, dataset: Dataset) -> float:
        """A fresh collection with every vector inserted and flushed to segments; seconds."""
        from pymilvus import DataType

        if self.client.has_collection(COLLECTION):
            self.client.drop_collection(COLLECTION)
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=dataset.dim)
        began = time.perf_counter()
        self.client.create_collection(COLLECTION, schema=schema)
        for start in range(0, len(dataset.base), INSERT_BATCH):
            rows = dataset.base[start : start + INSERT_BATCH]
            self.client.insert(
                COLLECTION,
                [{"id": start + i, "v": row} for i, row in enumerate(rows.tolist())],
            )
        self.client.flush(COLLECTION)
        return time.perf_counter() - began

    def build(self, config: IndexConfig, metric: str) -> tuple[str, float, list[str]]:
        """Builds and loads the closest index milvus-lite has: (type, seconds, refusals)."""
        refusals: list[str] = []
        if self.index_type:
            self._drop_index()
            self.index_type = ""
        for milvus_type in CANDIDATES[config.kind]:
            began = time.perf_counter()
            try:
                self._build_one(milvus_type, config, metric)
            except Exception as error:  # milvus-lite names unsupported types only by failing
                refusals.append(f"{milvus_type}: {type(error).__name__}: {error}"[:300])
                log.warning("milvus-lite refused %s: %s", milvus_type, error)
                self._drop_index()
                continue
            self.index_type = milvus_type
            return milvus_type, time.perf_counter() - began, refusals
        raise RuntimeError(f"milvus-lite built none of {CANDIDATES[config.kind]}: {refusals}")

    def _build_one(self, milvus_type: str, config: IndexConfig, metric: str) -> None:
        params = self.client.prepare_index_params()
        params.add_index(
            "v",
            index_type=milvus_type,
            metric_type=METRICS[metric],
            params=build_params(milvus_type, config),
        )
        try:
            self.client.create_index(COLLECTION, params)
        except Exception as error:
            # A build of minutes can outlive the client's connection (a keep-alive GOAWAY); its
            # retry then finds the index the first call made, which is the one wanted.
            if "index already exists" not in str(error) or not self._has_index(milvus_type):
                raise
            log.info("milvus-lite: %s already created by the retried call; waiting", milvus_type)
        self.client.load_collection(COLLECTION)
        self._wait_indexed()

    def _has_index(self, milvus_type: str) -> bool:
        return self.client.describe_index(COLLECTION, "v").get("index_type") == milvus_type

    def _wait_indexed(self, timeout: float = 1800) -> None:
        """Until every row is indexed: loading builds per-segment indexes, and a background
        compaction may still be rebuilding some."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            state = self.client.describe_index(COLLECTION, "v")
            if state.get("pending_index_rows", 0) == 0 and state.get("state") == "Finished":
                return
            time.sleep(0.5)
        raise TimeoutError("milvus-lite index still pending")

    def _drop_index(self) -> None:
        try:
            self.client.release_collection(COLLECTION)
            self.client.drop_index(COLLECTION, "v")
        except Exception as error:  # best effort: the next candidate reports its own failure
            log.warning("milvus-lite: could not drop the refused index: %s", error)

    def layout(self) -> dict[str, Any]:
        """What milvus-lite actually searches: its segments and the index class on each. Reads
        private attributes, so that a row labelled HNSW is known to be HNSW; an error note if
        they moved."""
        try:
            from milvus_lite.server_manager import server_manager_instance

            _, db, _ = server_manager_instance._servers[str(self.db_path.resolve())]
            segments = db.get_collection(COLLECTION)._segments_snapshot()
            return {
                "segments": len(segments),
                "segment_rows": sorted(int(seg.num_rows) for seg in segments),
                "segment_indexes": sorted({built(seg.indexes.get("v")) for seg in segments}),
                "describe_index": self.client.describe_index(COLLECTION, "v"),
            }
        except Exception as error:  # introspection only: never fail a run for it
            return {"layout_error": f"{type(error).__name__}: {error}"}

    def search_fn(self, config: IndexConfig, k: int, knob: int | None = None) -> SearchFn:
        params = query_params(self.index_type, config, knob)

        def search(query: np.ndarray) -> np.ndarray:
            hits = self.client.search(
                COLLECTION, [query.tolist()], limit=k, search_params=params, anns_field="v"
            )[0]
            return np.fromiter((hit["id"] for hit in hits), dtype=np.int64, count=len(hits))

        return search

    def close(self) -> None:
        self.client.close()
