"""The index configurations benchmarked, in semspace's parameter names, and the same index built
directly with FAISS in-process (the limit any server over FAISS can approach)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from search.datasets import Dataset, faiss_metric, prepare
from search.measure import SearchFn
from semspace.index_config import IndexConfig as SemspaceIndexConfig


@dataclass(frozen=True)
class IndexConfig:
    """An index type with its build parameters and its default search-time knob."""

    kind: str  # "flat" | "hnsw" | "ivf_pq"
    params: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.kind} ({shown})" if shown else self.kind

    @property
    def vector_bits(self) -> int:
        """Bits per stored component: 32 unless the config names another width."""
        return self.params.get("vector_bits", 32)


def index_configs(
    dataset: Dataset, hnsw: dict[str, int], ivf_pq: bool, hnsw_bits: Sequence[int] = (32,)
) -> list[IndexConfig]:
    """Flat and HNSW (`m`, `ef_construction`, `ef_search`) everywhere, an HNSW per storage width
    (`vector_bits` named only when it is not the default 32); IVF-PQ where asked (the large
    synthetic set)."""
    configs = [IndexConfig("flat")]
    for bits in hnsw_bits:
        configs.append(
            IndexConfig("hnsw", {**hnsw, **({} if bits == 32 else {"vector_bits": bits})})
        )
    if ivf_pq:
        # nlist ≈ √n; otherwise semspace's defaults (16 sub-quantizers of 8 bits: 16 bytes a
        # vector; the top refine_factor × k candidates re-ranked with the exact vectors).
        nlist = int(2 ** round(np.log2(np.sqrt(len(dataset.base)))))
        defaults = SemspaceIndexConfig()
        kept = ("nprobe", "pq_m", "pq_bits", "refine_factor")
        params = {"nlist": nlist, **{name: getattr(defaults, name) for name in kept}}
        configs.append(IndexConfig("ivf_pq", params))
    return configs


def build_faiss(config: IndexConfig, dataset: Dataset) -> tuple[faiss.Index, float]:
    """The index semspace would hold, built straight from the vectors; (index, seconds)."""
    began = time.perf_counter()
    vectors = prepare(dataset.base, dataset.metric)
    dim, metric, p = dataset.dim, faiss_metric(dataset.metric), config.params
    if config.kind == "flat":
        index: faiss.Index = faiss.IndexFlat(dim, metric)
    elif config.kind == "hnsw":
        if config.vector_bits == 16:
            index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, p["m"], metric)
        else:
            index = faiss.IndexHNSWFlat(dim, p["m"], metric)
        index.hnsw.efConstruction = p["ef_construction"]
        index.hnsw.efSearch = p["ef_search"]
    elif config.kind == "ivf_pq":
        ivf = faiss.IndexIVFPQ(
            faiss.IndexFlat(dim, metric), dim, p["nlist"], p["pq_m"], p["pq_bits"], metric
        )
        ivf.nprobe = p["nprobe"]
        index = faiss.IndexRefineFlat(ivf)
        index.k_factor = p["refine_factor"]
        # 64 points a centroid (and 40 a PQ code) is plenty for k-means, and keeps training of
        # a 1M set well under a minute.
        wanted = max(64 * p["nlist"], 40 * 2 ** p["pq_bits"])
        rng = np.random.default_rng(0)
        sample = rng.choice(len(vectors), min(len(vectors), wanted), replace=False)
        index.train(vectors[np.sort(sample)])
    else:
        raise ValueError(f"unknown index kind {config.kind!r}")
    index.add(vectors)
    return index, time.perf_counter() - began


@contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """OpenMP threads for FAISS calls in this block; the previous count restored after."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def search_params(config: IndexConfig, knob: int | None) -> Any:
    """FAISS per-call parameters for an efSearch / nprobe override (None: the index's own)."""
    if knob is None:
        return None
    if config.kind == "hnsw":
        return faiss.SearchParametersHNSW(efSearch=knob)
    return faiss.IndexRefineSearchParameters(
        k_factor=config.params["refine_factor"],
        base_index_params=faiss.SearchParametersIVF(nprobe=knob),
    )


def faiss_search_fn(
    index: faiss.Index, config: IndexConfig, dataset: Dataset, k: int, knob: int | None = None
) -> SearchFn:
    """One query per call, as a server receives them; normalising the query is timed, as it is
    part of a cosine search in semspace too."""
    params = search_params(config, knob)

    def search(query: np.ndarray) -> np.ndarray:
        row = prepare(query[None, :], dataset.metric)
        return index.search(row, k, params=params)[1][0]

    return search
