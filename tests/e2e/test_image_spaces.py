"""Trained image spaces served end to end: embed, search by image, decode, sample, interpolate."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import grpc
import numpy as np
import pytest
from PIL import Image as PILImage

from semspace.artifact import load_artifact
from semspace.client import Client, Image, InvalidArgumentError, UnimplementedError
from semspace.server.app import create_server
from tests.conftest import data_dir, settings_for

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def image_server(tmp_path_factory: pytest.TempPathFactory):
    root = data_dir()
    if not (root / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST not under {root}")
    from semspace.trainers.images.autoencoders import train_vae
    from semspace.trainers.images.cnn import train_cnn
    from semspace.trainers.images.config import CnnConfig, GramConfig, VaeConfig

    torch.set_num_threads(2)
    artifacts = tmp_path_factory.mktemp("image-artifacts")
    small = {"epochs": 1, "train_limit": 256, "batch_size": 64}
    train_vae(VaeConfig(**small), root, artifacts, "vae")
    train_cnn(CnnConfig(**small, gram=GramConfig(dim=16)), root, artifacts, "cnn", gram_name="gram")
    server = create_server(settings_for(artifacts))
    server.load()
    yield server, artifacts
    server.stop(0)


@pytest.fixture
def client(image_server):
    with Client(image_server[0].address, timeout=30) as connected:
        yield connected


def png_of(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def training_image(artifacts: Path, index: int) -> np.ndarray:
    from semspace.trainers.images.idx import read_idx

    images = read_idx(data_dir() / "fashion-mnist" / "train-images-idx3-ubyte.gz")
    return np.asarray(images[index])


@pytest.mark.parametrize("space", ["vae", "cnn", "gram"])
def test_embed_then_search_finds_the_training_image_itself(client, image_server, space) -> None:
    artifacts = image_server[1]
    picture = training_image(artifacts, 17)
    vector = client.embed(space, images=[png_of(picture)]).vectors[0]
    stored = np.asarray(load_artifact(artifacts / space).vectors[17])
    if client.get_space(space).metric == "cosine":
        stored = stored / np.linalg.norm(stored)
    np.testing.assert_allclose(vector, stored, rtol=1e-4, atol=1e-4)
    hits = client.search(space, Image(png_of(picture)), k=3, with_payloads=True)
    assert hits.ids[0] == "17"
    assert set(hits.payloads[0]) == {"label", "class"}


def test_raw_pixels_embed_like_the_png(client, image_server) -> None:
    picture = training_image(image_server[1], 3)
    from_png = client.embed("vae", images=[png_of(picture)]).vectors
    from_pixels = client.embed("vae", pixels=picture[None]).vectors
    np.testing.assert_allclose(from_png, from_pixels, rtol=1e-5, atol=1e-5)


def test_the_vae_decodes_samples_and_interpolates_to_pngs(client, image_server) -> None:
    space = client.get_space("vae")
    assert space.embed_inputs == ["image"] and space.metric == "l2"
    decoded = client.decode("vae", np.zeros((2, space.dim)))
    assert len(decoded.png) == 2 and decoded.arrays().shape == (2, 28, 28)

    first, again = client.sample("vae", 4, seed=7), client.sample("vae", 4, seed=7)
    assert first.png == again.png
    assert first.png != client.sample("vae", 4, seed=8).png

    walk = client.interpolate("vae", "0", "1", steps=5)
    assert len(walk.png) == 5 and walk.latents.shape == (5, space.dim)
    stored = client.get("vae", ["0", "1"]).vectors
    np.testing.assert_allclose(walk.latents[[0, -1]], stored, rtol=1e-4, atol=1e-4)

    rebuilt = client.reconstruct("vae", [png_of(training_image(image_server[1], 5))])
    assert rebuilt.arrays().dtype == np.uint8 and rebuilt.arrays().shape == (1, 28, 28)


def test_a_cnn_space_cannot_decode_and_says_what_can(client) -> None:
    with pytest.raises(UnimplementedError, match="autoencoder or vae"):
        client.sample("cnn", 2)


@pytest.mark.parametrize(
    ("pixels", "words"),
    [
        # The imaginary part was dropped with a warning, and the images embedded.
        (np.zeros((1, 28, 28), np.complex64), "real numbers (it holds complex numbers)"),
        # One image without its count axis was read as 28 images of 28 pixels.
        (np.zeros((28, 28)), "(count, height, width), got shape (28, 28)"),
        (np.zeros((0, 28, 28)), "holds no image"),
    ],
)
def test_malformed_pixels_are_named_by_the_client(client, pixels, words) -> None:
    with pytest.raises(ValueError) as raised:
        client.embed("vae", pixels=pixels)
    assert str(raised.value).startswith("pixels: ") and words in str(raised.value)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda c: c.embed("vae", images=[b"not an image"]), ["images[0]", "PNG or JPEG"]),
        (
            lambda c: c.embed("vae", images=[png_of(np.zeros((32, 32)))]),
            ["images[0]", "32x32", "28x28"],
        ),
        (lambda c: c.embed("vae", pixels=np.full((1, 28, 28), 2.0)), ["pixels", "[0, 1]"]),
        (lambda c: c.embed("vae", pixels=np.zeros((1, 27, 27))), ["pixels.dim", "784"]),
        (lambda c: c.decode("vae", np.full((1, 20), np.nan)), ["latents", "NaN"]),
        (lambda c: c.decode("vae", np.zeros((1, 3))), ["latents.dim"]),
        (lambda c: c.sample("vae", 0), ["n", "got 0"]),
        (lambda c: c.sample("vae", 10_000), ["n", "256"]),
        (lambda c: c.interpolate("vae", "0", "1", steps=1), ["steps", "between 2 and"]),
        # Named as the request names it ("end"), not "ends[1]".
        (lambda c: c.interpolate("vae", np.zeros(20), np.full(20, 1e30)), ["end.vector"]),
        (lambda c: c.search("vae", Image(b"\x89PNG broken")), ["queries[0].image"]),
    ],
)
def test_bad_image_requests_are_rejected_with_the_field_named(client, call, words) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        call(client)
    for word in words:
        assert word in str(raised.value)
    assert client.health() == "SERVING"


def test_a_seed_outside_uint64_is_refused_by_the_client_naming_it(client) -> None:
    for seed in (-1, 2**64):
        with pytest.raises(ValueError, match=r"seed: must be between 0 and 2\*\*64 - 1"):
            client.sample("vae", 2, seed=seed)
    assert len(client.sample("vae", 2, seed=2**64 - 1).png) == 2


def test_image_rpcs_stay_consistent_for_raw_grpc_callers(image_server) -> None:
    from semspace.v1 import semspace_pb2 as pb
    from semspace.v1 import semspace_pb2_grpc as pb_grpc

    with grpc.insecure_channel(image_server[0].address) as channel:
        stub = pb_grpc.SemspaceStub(channel)
        answer = stub.Sample(pb.SampleRequest(space="vae"), timeout=30)
        assert len(answer.png) == 8  # the documented default n


def test_concurrent_embeds_each_get_their_own_vectors(image_server) -> None:
    """Image Embed calls are micro-batched into shared forward passes; each caller must still
    get the vectors of its own images."""
    server, artifacts = image_server
    stored = np.asarray(load_artifact(artifacts / "cnn").vectors[:24])
    expected = stored / np.linalg.norm(stored, axis=1, keepdims=True)
    pictures = [training_image(artifacts, i) for i in range(24)]
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(12)

    def call(worker: int) -> None:
        with Client(server.address, timeout=30) as client:
            start.wait()
            for i in range(worker, 24, 12):
                results[i] = client.embed("cnn", pixels=pictures[i][None]).vectors[0]

    threads = [threading.Thread(target=call, args=(w,)) for w in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(24))
    for i, vector in results.items():
        np.testing.assert_allclose(vector, expected[i], rtol=1e-4, atol=1e-4)
