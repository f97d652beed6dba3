"""The public methods of Client and AsyncClient, written once.

Each method builds an operation and hands it to the transport's `_run`: the sync client returns
its result, the async client returns an awaitable of the same result.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
from grpc_health.v1 import health_pb2_grpc

from semspace.client import operations as ops
from semspace.client.channel import (
    API_KEY_ENV,
    DEFAULT_PORT,
    Security,
    call_metadata,
    open_channel,
    with_default_port,
)
from semspace.client.operations import Payload, Target
from semspace.client.types import (
    ArithmeticResult,
    DeleteResult,
    Embeddings,
    Images,
    Neighbors,
    OddOneOut,
    Page,
    Points,
    SpaceChange,
    SpaceInfo,
    Tokens,
    UpsertResult,
)
from semspace.v1 import semspace_pb2_grpc as pb_grpc

DEFAULT_ADDRESS = f"127.0.0.1:{DEFAULT_PORT}"
DEFAULT_TIMEOUT = 10.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
DEFAULT_RETRIES = 4


class SpaceApi:
    """Connection set-up and the methods of both clients; `_aio` picks the transport.

    api_key: sent as `authorization: Bearer KEY` (default: env SEMSPACE_API_KEY).
    tls / ca_file: connect with TLS, trusting the system roots or this PEM CA;
    cert_file + key_file: the client certificate for servers that require mTLS.
    retries: how often a read (search, get, embed, scroll, ...) is sent again when the server
    is unavailable (restarting, loading its spaces, connection lost), after 0.25-5 s randomised
    backoff, within the call's timeout; 0 to 4. Writes are never resent: see `READ_METHODS`.

    Where a method takes several ids, texts, images, queries or spaces, one str (or bytes) is one
    of them, never a run of characters: delete(space, "p12") deletes "p12" alone. One point's
    upsert may pass its payload as one dict.
    """

    _aio = False

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        api_key: str | None = None,
        tls: bool = False,
        ca_file: str | Path | None = None,
        cert_file: str | Path | None = None,
        key_file: str | Path | None = None,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self.address = with_default_port(address)
        self.timeout = timeout
        security = Security(
            tls=tls,
            ca_file=None if ca_file is None else Path(ca_file),
            cert_file=None if cert_file is None else Path(cert_file),
            key_file=None if key_file is None else Path(key_file),
        )
        self._api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        self._metadata = call_metadata(self._api_key, None)
        self._channel = open_channel(
            self.address, security, max_message_bytes, retries, aio=self._aio
        )
        self._stubs = (
            pb_grpc.SemspaceStub(self._channel),
            health_pb2_grpc.HealthStub(self._channel),
        )

    def with_request_id(self, request_id: str) -> Self:
        """A view of this client whose calls carry `x-request-id: request_id` (to follow one
        request through the server's logs); it shares the connection, so close only the original."""
        view = copy.copy(self)
        view._metadata = call_metadata(self._api_key, request_id)
        return view

    def _run(self, operation: ops.Operation[Any], timeout: float | None) -> Any:
        raise NotImplementedError

    def _rpc(self, name: str) -> Any:
        """The stub method for an RPC name, on the semspace or the health service."""
        return next(getattr(stub, name) for stub in self._stubs if hasattr(stub, name))

    def list_spaces(self, *, timeout: float | None = None) -> list[SpaceInfo]:
        """Every space on the server, by name."""
        return self._run(ops.list_spaces(), timeout)

    def get_space(self, space: str, *, timeout: float | None = None) -> SpaceInfo:
        return self._run(ops.get_space(space), timeout)

    def create_space(
        self,
        space: str,
        dim: int,
        metric: str = "cosine",
        description: str = "",
        *,
        index: str = "flat",
        index_params: dict[str, int] | None = None,
        timeout: float | None = None,
    ) -> SpaceInfo:
        """A new writable space; metric is "cosine", "l2" or "ip"; index is "flat" (exact),
        "hnsw" (m, ef_construction, ef_search), "ivf_flat" (nlist, nprobe) or "ivf_pq"
        (nlist, nprobe, pq_m, pq_bits, refine_factor)."""
        operation = ops.create_space(space, dim, metric, description, index, index_params)
        return self._run(operation, timeout)

    def drop_space(self, space: str, *, timeout: float | None = None) -> None:
        """Drops a user space with its data, or an older version ("words@1") from memory."""
        return self._run(ops.drop_space(space), timeout)

    def upsert(
        self,
        space: str,
        ids: Sequence[str],
        vectors: Any,
        payloads: Sequence[Payload] | Payload = None,
        *,
        timeout: float | None = None,
    ) -> UpsertResult:
        """Inserts or replaces points; visible to the next call once this returns."""
        return self._run(ops.upsert(space, ids, vectors, payloads), timeout)

    def set_payloads(
        self,
        space: str,
        ids: Sequence[str],
        payloads: Sequence[Payload] | Payload,
        *,
        timeout: float | None = None,
    ) -> int:
        """Replaces the points' payloads (None clears one), keeping their vectors; how many.
        Every id must be in the space, or nothing changes (NotFoundError)."""
        return self._run(ops.set_payloads(space, ids, payloads), timeout)

    def delete(
        self,
        space: str,
        ids: Sequence[str] = (),
        *,
        where: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> DeleteResult:
        """Deletes the points named, or every point whose payload matches `where` (a filter
        as in search, with at least one condition)."""
        return self._run(ops.delete(space, ids, where), timeout)

    def get(
        self,
        space: str,
        ids: Sequence[str],
        *,
        with_payloads: bool = False,
        timeout: float | None = None,
    ) -> Points:
        """Vectors (unit length in cosine spaces) and payloads of points by id."""
        return self._run(ops.get(space, ids, with_payloads), timeout)

    def search(
        self,
        space: str,
        query: Target,
        k: int | None = None,
        *,
        exclude_ids: Sequence[str] = (),
        with_vectors: bool = False,
        with_payloads: bool = False,
        include_query_id: bool = False,
        where: dict[str, Any] | None = None,
        ef_search: int | None = None,
        nprobe: int | None = None,
        exact: bool = False,
        score_threshold: float | None = None,
        group_by: str | None = None,
        group_size: int | None = None,
        timeout: float | None = None,
    ) -> Neighbors:
        """Nearest neighbours of one vector, or of a stored point given by id (itself left out
        unless include_query_id). `where` filters on payloads (see `semspace.client.filters`);
        ef_search (HNSW) / nprobe (IVF) set the effort; exact scans every point;
        score_threshold keeps the neighbours scoring at least it (distances at most it, l2);
        group_by="brand" answers the best k brands, group_size points each, in `groups`."""
        name, request, parse = ops.search_batch(
            space,
            [query],
            k,
            exclude_ids,
            with_vectors,
            with_payloads,
            include_query_id,
            where=where,
            ef_search=ef_search,
            nprobe=nprobe,
            exact=exact,
            score_threshold=score_threshold,
            group_by=group_by,
            group_size=group_size,
        )
        return self._run((name, request, lambda r: parse(r)[0]), timeout)

    def search_batch(
        self,
        space: str,
        queries: Sequence[Target] | np.ndarray,
        k: int | None = None,
        *,
        exclude_ids: Sequence[str] = (),
        with_vectors: bool = False,
        with_payloads: bool = False,
        include_query_ids: bool = False,
        where: dict[str, Any] | None = None,
        ef_search: int | None = None,
        nprobe: int | None = None,
        exact: bool = False,
        score_threshold: float | None = None,
        group_by: str | None = None,
        group_size: int | None = None,
        timeout: float | None = None,
    ) -> list[Neighbors]:
        """One answer per query, in order; queries are rows of an array, ids, or a mix."""
        operation = ops.search_batch(
            space,
            queries,
            k,
            exclude_ids,
            with_vectors,
            with_payloads,
            include_query_ids,
            where=where,
            ef_search=ef_search,
            nprobe=nprobe,
            exact=exact,
            score_threshold=score_threshold,
            group_by=group_by,
            group_size=group_size,
        )
        return self._run(operation, timeout)

    def scroll(
        self,
        space: str,
        cursor: str | None = None,
        limit: int | None = None,
        *,
        where: dict[str, Any] | None = None,
        with_vectors: bool = False,
        with_payloads: bool = False,
        timeout: float | None = None,
    ) -> Page:
        """One page of a space's points (matching `where`), in storage order; pass the page's
        next_cursor back for the next one."""
        operation = ops.scroll(space, cursor, limit, where, with_vectors, with_payloads)
        return self._run(operation, timeout)

    def count(
        self, space: str, *, where: dict[str, Any] | None = None, timeout: float | None = None
    ) -> int:
        """How many points match `where` (a filter as in search), or all points without one."""
        return self._run(ops.count(space, where), timeout)

    def set_alias(self, alias: str, space: str, *, timeout: float | None = None) -> str | None:
        """Points `alias` at `space` (creating or moving it): calls naming the alias go there
        from the next call on. Returns the space it pointed at before, None if it is new."""
        return self._run(ops.set_alias(alias, space), timeout)

    def delete_alias(self, alias: str, *, timeout: float | None = None) -> str:
        """Removes an alias; returns the space it pointed at."""
        return self._run(ops.delete_alias(alias), timeout)

    def list_aliases(self, *, timeout: float | None = None) -> dict[str, str]:
        """Alias -> space, for every alias."""
        return self._run(ops.list_aliases(), timeout)

    def reload(
        self, spaces: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[SpaceChange]:
        """Admin: loads new or changed spaces from disk and swaps them in (all, or those named)."""
        return self._run(ops.reload(spaces), timeout)

    def arithmetic(
        self,
        space: str,
        positive: Sequence[Target] = (),
        negative: Sequence[Target] = (),
        k: int | None = None,
        *,
        terms: Sequence[tuple[float, Target]] = (),
        method: str = "3cosadd",
        include_inputs: bool = False,
        exclude_ids: Sequence[str] = (),
        with_vectors: bool = False,
        with_payloads: bool = False,
        where: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> ArithmeticResult:
        """Nearest points to sum(positive) - sum(negative) (+ weighted `terms`), by "3cosadd" or
        "3cosmul"; inputs given by id are left out unless include_inputs; `where` keeps only
        points whose payloads match (as in `search`)."""
        all_terms = ops.signed_terms(positive, negative) + list(terms)
        operation = ops.arithmetic(
            space,
            all_terms,
            method,
            k,
            include_inputs,
            exclude_ids,
            with_vectors,
            with_payloads,
            where,
        )
        return self._run(operation, timeout)

    def analogy(
        self,
        space: str,
        a: Target,
        b: Target,
        c: Target,
        k: int | None = None,
        *,
        method: str = "3cosadd",
        timeout: float | None = None,
    ) -> Neighbors:
        """a is to b as c is to ...? (man : king :: woman : queen), i.e. b - a + c."""
        terms = ops.signed_terms([b, c], [a])
        name, request, parse = ops.arithmetic(space, terms, method, k, False, (), False, False)
        return self._run((name, request, lambda r: parse(r).neighbors), timeout)

    def embed(
        self,
        space: str,
        texts: Sequence[str] = (),
        images: Sequence[bytes] = (),
        *,
        pixels: Any = None,
        timeout: float | None = None,
    ) -> Embeddings:
        """Vectors of raw inputs by the space's model: texts (any Unicode; unknown words are
        composed from subword pieces), encoded images, or raw pixel arrays (n, h, w)."""
        return self._run(ops.embed(space, texts, images, pixels), timeout)

    def tokenize(
        self,
        space: str,
        texts: Sequence[str],
        *,
        add_sos: bool = False,
        add_eos: bool = False,
        timeout: float | None = None,
    ) -> list[Tokens]:
        """BPE pieces and ids of each text, with <s> / </s> when asked."""
        return self._run(ops.tokenize(space, texts, add_sos, add_eos), timeout)

    def similarity(
        self, space: str, a: Target, b: Target, *, timeout: float | None = None
    ) -> float:
        """Cosine similarity of two items (ids, vectors, Text or Image)."""
        name, request, parse = ops.similarity(space, [a], [b])
        return self._run((name, request, lambda r: float(parse(r)[0])), timeout)

    def doesnt_match(
        self, space: str, items: Sequence[Target], *, timeout: float | None = None
    ) -> OddOneOut:
        """The item that fits least with the others."""
        return self._run(ops.doesnt_match(space, items), timeout)

    def decode(self, space: str, latents: Any, *, timeout: float | None = None) -> Images:
        """Images of latent vectors (autoencoder and VAE spaces)."""
        return self._run(ops.decode(space, latents), timeout)

    def reconstruct(
        self,
        space: str,
        images: Sequence[bytes] = (),
        *,
        pixels: Any = None,
        timeout: float | None = None,
    ) -> Images:
        return self._run(ops.reconstruct(space, images, pixels), timeout)

    def sample(
        self, space: str, n: int | None = None, *, seed: int = 0, timeout: float | None = None
    ) -> Images:
        """n new images from the space's prior; the same seed gives the same images."""
        return self._run(ops.sample(space, n, seed), timeout)

    def interpolate(
        self,
        space: str,
        start: Target,
        end: Target,
        steps: int | None = None,
        *,
        path: str | None = None,
        timeout: float | None = None,
    ) -> Images:
        """A walk from start to end (images, ids or latents), ends included; path "linear" or
        "spherical" (default: spherical for VAE spaces, else linear)."""
        return self._run(ops.interpolate(space, start, end, steps, path), timeout)

    def health(self, *, timeout: float | None = None) -> str:
        """The server's grpc.health.v1 status: "SERVING", "NOT_SERVING", ..."""
        return self._run(ops.health(), timeout)
