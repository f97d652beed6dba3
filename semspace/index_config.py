"""Which index a space uses and with what parameters; stored in its manifest. No faiss here.

The kinds trade exactness for speed and memory:
- flat: exact search, every query scans every vector. The default, and right below ~100k points.
- hnsw: a navigable small-world graph (Malkov & Yashunin 2016); `m` links per node,
  `ef_construction` candidates while inserting, `ef_search` candidates while searching;
  `vector_bits` 32 keeps float32 vectors, 16 keeps float16 (half the memory, and every vector,
  score and snapshot rounded to float16: about 3 significant digits).
- ivf_flat: vectors bucketed by the nearest of `nlist` k-means centroids; a query scans the
  `nprobe` nearest buckets.
- ivf_pq: as ivf_flat, but buckets hold product-quantised codes (`pq_m` sub-vectors of `pq_bits`
  bits); candidates are re-ranked with the exact vectors, so scores are exact.
"""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# FAISS warns below ~39 training points per centroid: fewer give poor buckets.
POINTS_PER_CENTROID = 39


class IndexKind(enum.StrEnum):
    FLAT = "flat"
    HNSW = "hnsw"
    IVF_FLAT = "ivf_flat"
    IVF_PQ = "ivf_pq"


# The parameters each kind takes; anything else is a caller's mistake worth naming.
PARAMETERS: dict[IndexKind, tuple[str, ...]] = {
    IndexKind.FLAT: (),
    IndexKind.HNSW: ("m", "ef_construction", "ef_search", "vector_bits"),
    IndexKind.IVF_FLAT: ("nlist", "nprobe"),
    IndexKind.IVF_PQ: ("nlist", "nprobe", "pq_m", "pq_bits", "refine_factor"),
}


class IndexConfigError(ValueError):
    """An index kind or parameter that cannot be used; the message names it."""


class IndexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: IndexKind = IndexKind.FLAT
    # m 16 with ef_construction 200 matched m 32 with 100 on recall at every ef_search tried
    # (words, fashion-cnn, 200k clustered; bench notes) at half the graph's memory.
    m: int = Field(16, ge=4, le=128)
    ef_construction: int = Field(200, ge=8, le=4096)
    # On 1M x 128 clustered vectors recall@10 was 0.991 at ef_search 64, 0.998 at 96 and 1.000
    # at 128 (FAISS in process, m 16, ef_construction 200; measured). Served single searches
    # spend far more in the RPC than in the graph, so the extra effort costs little in QPS.
    ef_search: int = Field(128, ge=1, le=4096)
    # Bits per stored vector component: 16 halves the vectors, the bulk of an HNSW space.
    vector_bits: Literal[16, 32] = 32
    nlist: int = Field(1024, ge=1, le=65_536)
    nprobe: int = Field(32, ge=1, le=65_536)
    pq_m: int = Field(16, ge=1, le=512)
    pq_bits: int = Field(8, ge=4, le=12)
    # PQ codes, not the buckets probed, limit IVF-PQ's recall: on 1M x 128 clustered vectors
    # (nlist 1024, pq_m 16) re-ranking 4k candidates found 0.902 of the top 10 at any nprobe
    # from 16 to 64, 10k found 0.990 and 20k 0.999, at 3.8k, 3.4k and 3.4k queries a second
    # (FAISS in process, nprobe 32; measured).
    refine_factor: int = Field(20, ge=1, le=64)

    @classmethod
    def parse(cls, kind: str, params: dict[str, int], dim: int, field: str) -> IndexConfig:
        """A config from a kind name and only the parameters that kind takes."""
        try:
            index_kind = IndexKind(kind or IndexKind.FLAT)
        except ValueError:
            known = ", ".join(k.value for k in IndexKind)
            raise IndexConfigError(
                f"{field}.kind: unknown index type '{kind}'; available: {known}"
            ) from None
        allowed = PARAMETERS[index_kind]
        for name in params:
            if name not in allowed:
                takes = ", ".join(allowed) or "no parameters"
                raise IndexConfigError(
                    f"{field}.params.{name}: not a parameter of {index_kind.value} (it takes "
                    f"{takes})"
                )
        if "nlist" in params and "nprobe" not in params:
            # A small nlist given alone should not trip over the default nprobe.
            params = {**params, "nprobe": min(cls.model_fields["nprobe"].default, params["nlist"])}
        try:
            config = cls(kind=index_kind, **params)
        except ValidationError as error:
            problem = error.errors()[0]
            name = ".".join(str(part) for part in problem["loc"])
            raise IndexConfigError(
                f"{field}.params.{name}: {problem['msg']}, got {problem.get('input')}"
            ) from None
        config.check_against(dim, field)
        return config

    def check_against(self, dim: int, field: str) -> None:
        if self.kind is IndexKind.IVF_PQ and dim % self.pq_m:
            raise IndexConfigError(
                f"{field}.params.pq_m: {self.pq_m} does not divide the dimension {dim}"
            )
        if self.kind in (IndexKind.IVF_FLAT, IndexKind.IVF_PQ) and self.nprobe > self.nlist:
            raise IndexConfigError(
                f"{field}.params.nprobe: {self.nprobe} exceeds nlist {self.nlist}"
            )

    def params(self) -> dict[str, int]:
        """The parameters that matter for this kind."""
        return {name: getattr(self, name) for name in PARAMETERS[self.kind]}

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind.value, **self.params()}

    @property
    def training_points(self) -> int:
        """Points an IVF index waits for before it trains its centroids (0: no training)."""
        if self.kind is IndexKind.IVF_FLAT:
            return POINTS_PER_CENTROID * self.nlist
        if self.kind is IndexKind.IVF_PQ:
            return POINTS_PER_CENTROID * max(self.nlist, 2**self.pq_bits)
        return 0
