"""The lecture's example: cities described by hand-made dimensions, searched and combined."""

from __future__ import annotations

import numpy as np

from semspace.cli.inputs import read_csv_points
from semspace.client import Client
from tests.conftest import EXAMPLES


def load_cities(client: Client, metric: str = "cosine") -> None:
    ids, vectors = read_csv_points(EXAMPLES / "cities.csv")
    client.create_space("cities", vectors.shape[1], metric, "capital, size, warmth, coast, country")
    client.upsert("cities", ids, vectors)


def test_a_city_s_nearest_neighbours_share_its_country_and_character(client: Client) -> None:
    load_cities(client)
    assert client.search("cities", "marseille", k=1).ids == ["lyon"]
    # Naples: the other Italian non-capital, then the warm port Marseille.
    assert client.search("cities", "naples", k=2).ids == ["milan", "marseille"]
    # Coastal, warm, not a capital: Barcelona is Marseille's closest kin outside France.
    outside_france = client.search("cities", "marseille", k=12).ids
    assert next(c for c in outside_france if c not in {"paris", "lyon"}) == "barcelona"


def test_capital_minus_city_plus_city_gives_the_other_capital(client: Client) -> None:
    load_cities(client)
    # paris - lyon is "capital-ness"; added to milan it lands on Italy's capital.
    assert client.analogy("cities", "lyon", "paris", "milan", k=1).ids == ["rome"]
    assert client.analogy("cities", "munich", "berlin", "zaragoza", k=1, method="3cosmul").ids == [
        "madrid"
    ]


def test_cities_work_in_l2_space_too(client: Client) -> None:
    load_cities(client, metric="l2")
    result = client.arithmetic("cities", ["paris", "milan"], ["lyon"], k=1)
    assert result.neighbors.ids == ["rome"]
    ids, vectors = read_csv_points(EXAMPLES / "cities.csv")
    lookup = dict(zip(ids, vectors, strict=True))
    np.testing.assert_allclose(
        result.query, lookup["paris"] + lookup["milan"] - lookup["lyon"], atol=1e-6
    )
