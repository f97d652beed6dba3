"""Scroll cursors carried across rebuilds: a row's new number is the count of live rows before
it; cursors of another instance, or from too many rebuilds ago, are refused."""

from __future__ import annotations

import numpy as np
import pytest

from semspace.server.errors import Aborted, InvalidArgument
from semspace.server.scroll_cursor import KEPT_REBUILDS, RowHistory, parse_cursor


def test_a_cursor_follows_its_rows_through_rebuilds() -> None:
    rng = np.random.default_rng(0)
    history = RowHistory("s")
    cursors = [history.cursor(row) for row in range(1000)]
    # Each first-numbering row's number now; -1 once it died.
    position = np.arange(1000)
    rows = 1000
    for _ in range(3):
        live = rng.random(rows + 37) < 0.7  # 37 rows were appended since the last rebuild
        history.rebuilding(live)
        survived = position >= 0
        survived[survived] = live[position[survived]]
        # A live row's new number is the count of live rows before it.
        position = np.where(survived, (np.cumsum(live) - 1)[position.clip(0)], -1)
        rows = int(live.sum())
        for first in np.flatnonzero(survived):
            assert history.row(cursors[first]) == position[first]


def test_a_cursor_past_the_last_row_stays_past_it() -> None:
    history = RowHistory("s")
    cursor = history.cursor(10)
    history.rebuilding(np.array([True, False] * 5))
    assert history.row(cursor) == 5


def test_cursors_of_another_instance_or_too_old_are_refused() -> None:
    history = RowHistory("s")
    old = history.cursor(3)
    for _ in range(KEPT_REBUILDS):
        history.rebuilding(np.ones(10, dtype=bool))
    assert history.row(old) == 3
    assert history.nbytes == KEPT_REBUILDS * 2  # 10 bits: 2 bytes a numbering
    history.rebuilding(np.ones(10, dtype=bool))
    assert history.nbytes == KEPT_REBUILDS * 2
    with pytest.raises(Aborted, match=f"rebuilt more than {KEPT_REBUILDS} times"):
        history.row(old)
    with pytest.raises(Aborted, match="loaded again"):
        RowHistory("s").row(history.cursor(0))


def test_cursors_round_trip_as_text_and_bad_ones_are_named() -> None:
    cursor = RowHistory("s").cursor(42)
    assert parse_cursor(str(cursor)) == cursor
    assert parse_cursor("") is None
    for text in ("12", "a.b.c", "abc.1.-2", "x" * 70, "a.1.2.3", "é.1.2"):
        with pytest.raises(InvalidArgument, match="cursor"):
            parse_cursor(text)
