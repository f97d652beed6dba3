"""Aliases: a name that moves from one space to another at once, under load, and stays put
through restarts; the rules that keep it from dangling or shadowing a space."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from semspace.artifact import Metric, Producer, writing_artifact
from semspace.client import (
    AlreadyExistsError,
    Client,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from semspace.server.aliases import ALIASES_FILE
from semspace.server.app import SemspaceServer
from tests.conftest import wait_until

DIM = 8


def fill(client: Client, space: str, prefix: str, n: int = 300, seed: int = 0) -> None:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM))
    client.create_space(space, DIM)
    client.upsert(space, [f"{prefix}{i}" for i in range(n)], vectors)


def write_words(root: Path) -> None:
    """A trained-like (read-only) space 'words' of three points x, y, z."""
    with writing_artifact(root, "words") as writer:
        writer.finish(
            kind="imported",
            metric=Metric.COSINE,
            vectors=np.eye(3, dtype=np.float32),
            ids=["x", "y", "z"],
            producer=Producer(name="tests"),
        )


def test_moving_an_alias_under_load_sends_every_call_to_one_space_or_the_other(
    start_server: Callable[..., SemspaceServer],
) -> None:
    server = start_server()
    with Client(server.address, timeout=30) as client:
        fill(client, "products-v1", "a", seed=1)
        fill(client, "products-v2", "b", seed=2)
        assert client.set_alias("products", "products-v1") is None
        answers: list[set[str]] = []
        errors: list[Exception] = []
        stop = threading.Event()

        def search() -> None:
            query = np.ones(DIM)
            while not stop.is_set():
                try:
                    found = client.search("products", query, k=5).ids
                    answers.append({point_id[0] for point_id in found})
                except Exception as error:  # any failure fails the test
                    errors.append(error)

        threads = [threading.Thread(target=search) for _ in range(4)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(answers) >= 50 or bool(errors), "searches through the alias")
        assert client.set_alias("products", "products-v2") == "products-v1"
        moved = len(answers)
        wait_until(lambda: len(answers) >= moved + 50 or bool(errors), "searches after the move")
        stop.set()
        for thread in threads:
            thread.join()
        assert not errors
        assert all(letters in ({"a"}, {"b"}) for letters in answers)  # never a mix
        assert answers[-1] == {"b"}
        # Calls made after the move reach the new space, writes too.
        assert client.search("products", np.ones(DIM), k=1).ids[0].startswith("b")
        client.upsert("products", ["new"], np.ones((1, DIM)))
        assert client.get_space("products-v2").count == 301
        assert client.get_space("products").name == "products-v2"
        assert client.get_space("products-v2").aliases == ["products"]
        assert client.get_space("products-v1").aliases == []


def test_aliases_survive_a_restart_and_resolve_versions(
    start_server: Callable[..., SemspaceServer], tmp_path: Path
) -> None:
    write_words(tmp_path / "artifacts")
    server = start_server()
    with Client(server.address) as client:
        fill(client, "mine", "m")
        client.set_alias("latest", "words")
        client.set_alias("scratch", "mine")
        assert client.search("latest@1", "x", k=1).ids == ["y"]
    server.stop(0)
    with Client(start_server().address) as client:
        assert client.list_aliases() == {"latest": "words", "scratch": "mine"}
        assert client.get_space("scratch").count == 300
        assert client.delete_alias("scratch") == "mine"
        assert client.list_aliases() == {"latest": "words"}


def test_alias_rules_keep_names_unambiguous_and_targets_alive(
    start_server: Callable[..., SemspaceServer],
) -> None:
    with Client(start_server().address) as client:
        fill(client, "one", "o")
        fill(client, "two", "t")
        client.set_alias("live", "one")
        with pytest.raises(AlreadyExistsError, match="alias: 'two' is a space's name"):
            client.set_alias("two", "one")
        with pytest.raises(AlreadyExistsError, match="'live' is an alias of 'one'"):
            client.create_space("live", DIM)
        with pytest.raises(NotFoundError, match="space: 'three' does not exist"):
            client.set_alias("next", "three")
        with pytest.raises(InvalidArgumentError, match="'live' is an alias"):
            client.set_alias("next", "live")
        with pytest.raises(FailedPreconditionError, match="alias 'live' points at"):
            client.drop_space("one")
        with pytest.raises(FailedPreconditionError, match="alias 'live' points at"):
            client.drop_space("live")  # through the alias, the same space
        with pytest.raises(NotFoundError, match="alias: 'gone' does not exist"):
            client.delete_alias("gone")
        client.set_alias("live", "two")
        client.drop_space("one")
        assert [s.name for s in client.list_spaces()] == ["two"]
        assert client.count("live") == 300


def test_a_trained_space_copied_in_under_an_aliass_name_takes_it(
    start_server: Callable[..., SemspaceServer], tmp_path: Path, caplog
) -> None:
    server = start_server()
    with Client(server.address) as client:
        fill(client, "one", "o")
        client.set_alias("words", "one")
        write_words(tmp_path / "artifacts")
        assert [c.action for c in client.reload(["words"])] == ["added"]
        assert client.count("words") == 3
        assert "takes the name of the alias of one" in caplog.text


def test_an_alias_whose_space_is_gone_from_disk_is_reported(
    start_server: Callable[..., SemspaceServer], tmp_path: Path, caplog
) -> None:
    server = start_server()
    with Client(server.address) as client:
        fill(client, "one", "o")
        client.set_alias("live", "one")
    server.stop(0)
    shutil.rmtree(tmp_path / "artifacts" / "one")  # by hand, behind the server's back
    with Client(start_server().address) as client:
        assert "alias live points at one, which is not served" in caplog.text
        with pytest.raises(NotFoundError, match="'one' does not exist"):
            client.count("live")
        fill(client, "one", "n")  # back: the alias reaches it again
        assert client.search("live", np.ones(DIM), k=1).ids[0].startswith("n")


def test_an_unreadable_alias_table_leaves_the_spaces_served(
    start_server: Callable[..., SemspaceServer], tmp_path: Path
) -> None:
    server = start_server()
    with Client(server.address) as client:
        fill(client, "one", "o")
        client.set_alias("live", "one")
    server.stop(0)
    (tmp_path / "artifacts" / ALIASES_FILE).write_text("{not json")
    with Client(start_server().address) as client:
        assert client.count("one") == 300
        assert client.list_aliases() == {}
        with pytest.raises(NotFoundError, match="'live' does not exist"):
            client.count("live")
