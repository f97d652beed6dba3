"""RPCs of spaces with a model: embedding raw inputs, tokenising, comparing, decoding images."""

from __future__ import annotations

import grpc
import numpy as np

from semspace.server import convert, relations
from semspace.server.batcher import MicroBatcher
from semspace.server.errors import InvalidArgument, maps_errors
from semspace.server.models import decode_images, encode_pngs, pixels_to_images
from semspace.server.registry import SpaceRegistry
from semspace.server.settings import ServerSettings
from semspace.server.space import Space
from semspace.server.validation import check_count, check_space_name
from semspace.v1 import semspace_pb2 as pb
from semspace.vectors import check_finite, unpack

DEFAULT_IMAGES = 8
PATHS = {
    pb.INTERPOLATION_PATH_UNSPECIFIED: None,
    pb.INTERPOLATION_PATH_LINEAR: False,
    pb.INTERPOLATION_PATH_SPHERICAL: True,
}


def embed_images_together(space: Space, batches: list[np.ndarray]) -> list[np.ndarray]:
    """Vectors of several calls' images from one model call, split back per call."""
    vectors, _ = space.embed([], np.concatenate(batches))
    return np.split(vectors, np.cumsum([len(b) for b in batches])[:-1])


class ModelRpcs:
    registry: SpaceRegistry
    limits: ServerSettings
    embed_batcher: MicroBatcher[np.ndarray, np.ndarray]

    def _space(self, name: str) -> Space:
        return self.registry.get(check_space_name(name))

    def _images(self, images: list[bytes], pixels: pb.Vectors) -> np.ndarray:
        """Encoded images then raw pixel rows, as one (n, 28, 28) batch."""
        decoded = decode_images(images, "images")
        if not pixels.data:
            return decoded
        rows = unpack(pixels.dim, pixels.data, "pixels")
        return np.concatenate([decoded, pixels_to_images(rows, "pixels")])

    def _count(self, value: int | None, field: str, least: int = 1) -> int:
        if value is None:
            return DEFAULT_IMAGES
        if not least <= value <= self.limits.max_images:
            raise InvalidArgument(
                f"{field}: must be between {least} and {self.limits.max_images}, got {value}"
            )
        return value

    def _answer(self, space: Space, images: np.ndarray, latents: np.ndarray | None = None):
        response = pb.ImagesResponse(png=encode_pngs(images))
        if latents is not None:
            response.latents.CopyFrom(convert.vectors_to_pb(latents, space.manifest.dim))
        return response

    @maps_errors
    def Embed(self, request: pb.EmbedRequest, context: grpc.ServicerContext):
        with self.embed_batcher.in_flight():
            space = self._space(request.space)
            images = self._images(list(request.images), request.pixels)
            check_count(
                len(request.texts) + len(images), "texts/images/pixels", self.limits, "max_queries"
            )
            if len(images) and not request.texts:
                # Image calls of one space share a model forward pass; word lookups are too
                # cheap to gain from waiting for company.
                vectors, composed = self.embed_batcher.submit(space, images), []
            else:
                vectors, composed = space.embed(list(request.texts), images)
        return pb.EmbedResponse(
            vectors=convert.vectors_to_pb(vectors, space.manifest.dim), composed=composed
        )

    @maps_errors
    def Tokenize(self, request: pb.TokenizeRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        check_count(len(request.texts), "texts", self.limits, "max_queries")
        tokens = []
        for text in request.texts:
            pieces, ids = space.model.tokenize(text, request.add_sos, request.add_eos)
            tokens.append(pb.Tokens(pieces=pieces, ids=ids))
        specials = space.model.special_ids()
        return pb.TokenizeResponse(
            tokens=tokens,
            pad_id=specials["pad"],
            unk_id=specials["unk"],
            sos_id=specials["sos"],
            eos_id=specials["eos"],
        )

    @maps_errors
    def Similarity(self, request: pb.SimilarityRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        check_count(len(request.a), "a", self.limits, "max_queries")
        dim = space.manifest.dim
        scores = relations.similarity(
            space,
            convert.targets_from_pb(request.a, dim, "a"),
            convert.targets_from_pb(request.b, dim, "b"),
        )
        return pb.SimilarityResponse(scores=scores.tolist())

    @maps_errors
    def DoesntMatch(self, request: pb.DoesntMatchRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        check_count(len(request.items), "items", self.limits, "max_queries")
        items = convert.targets_from_pb(request.items, space.manifest.dim, "items")
        index, scores = relations.doesnt_match(space, items)
        return pb.DoesntMatchResponse(index=index, scores=scores.tolist())

    @maps_errors
    def Decode(self, request: pb.DecodeRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        latents = convert.vectors_from_pb(request.latents, space.manifest.dim, "latents")
        check_count(len(latents), "latents", self.limits, "max_images")
        check_finite(latents, "latents")
        return self._answer(space, space.model.decode(latents), latents)

    @maps_errors
    def Reconstruct(self, request: pb.ReconstructRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        images = self._images(list(request.images), request.pixels)
        check_count(len(images), "images/pixels", self.limits, "max_images")
        latents = space.model.embed_images(images, "images")
        return self._answer(space, space.model.decode(latents), latents)

    @maps_errors
    def Sample(self, request: pb.SampleRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        n = self._count(request.n if request.HasField("n") else None, "n")
        return self._answer(space, space.model.sample(n, request.seed))

    @maps_errors
    def Interpolate(self, request: pb.InterpolateRequest, context: grpc.ServicerContext):
        space = self._space(request.space)
        # Both ends are steps: a walk takes at least two.
        steps = self._count(request.steps if request.HasField("steps") else None, "steps", 2)
        if request.path not in PATHS:
            raise InvalidArgument(f"path: unknown value {request.path}; use LINEAR or SPHERICAL")
        dim = space.manifest.dim
        ends = [
            convert.target_from_pb(request.start, dim, "start"),
            convert.target_from_pb(request.end, dim, "end"),
        ]
        start, end = space.resolve(ends, ("start", "end"))
        latents = space.model.interpolate(start, end, steps, PATHS[request.path])
        return self._answer(space, space.model.decode(latents), latents)
