"""The packed id table answers exactly as a dict would, through inserts, removals and resizes."""

from __future__ import annotations

import random

import numpy as np
import pytest

from semspace.server import columns, id_map
from semspace.server.columns import GrowingArray, PackedTexts, TextColumn
from semspace.server.id_map import IdMap


def test_id_map_agrees_with_a_dict_through_random_upserts_and_deletes() -> None:
    table, reference = IdMap(), {}
    rng = random.Random(7)
    for _ in range(200):
        ids = list({f"p{rng.randint(0, 5000)}" for _ in range(rng.randint(1, 400))})
        found = table.rows_of(ids)
        assert found.tolist() == [reference.get(i, -1) for i in ids]
        table.remove_rows(found[found >= 0])
        for point_id in ids:
            reference.pop(point_id, None)
        if rng.random() < 0.7:
            reference.update(zip(ids, table.append(ids).tolist(), strict=True))
        assert len(table) == len(reference)
    everything = [f"p{i}" for i in range(5001)]
    assert table.rows_of(everything).tolist() == [reference.get(i, -1) for i in everything]
    for point_id, row in reference.items():
        assert table.ids_at(np.array([row])) == [point_id]
        assert table.row_of(point_id) == row
    assert table.rows_total > len(reference)  # removed rows are never reused


def test_ids_with_equal_tags_are_told_apart_by_their_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every id gets the same tag: each probe then walks the whole chain and compares texts.
    monkeypatch.setattr(id_map, "tags_of", lambda ids: np.full(len(ids), 12345, dtype=np.uint32))
    table = IdMap()
    table.append(["a", "b", "c"])
    table.remove_rows(np.array([1]))
    table.append(["d"])
    assert table.rows_of(["a", "b", "c", "d", "e"]).tolist() == [0, -1, 2, 3, -1]
    assert table.row_of("b") is None and table.row_of("d") == 3


def test_id_map_keeps_unicode_ids_and_grows_past_its_first_table() -> None:
    table = IdMap()
    ids = [f"Brzęczyszczkiewicz-{i}" for i in range(10_000)]
    rows = table.append(ids)
    assert rows.tolist() == list(range(10_000))
    assert table.ids_at(np.array([0, 9_999])) == [ids[0], ids[-1]]
    assert (table.rows_of(ids[::-1]) == rows[::-1]).all()


def test_text_column_round_trips_empty_and_multibyte_texts() -> None:
    column = TextColumn()
    texts = ["", '{"class": "Ankle boot"}', "", "zażółć", "x" * 1000]
    column.extend(texts[:2])
    column.extend(texts[2:])
    assert column.take(range(len(texts))) == texts
    assert len(column) == len(texts)


def test_lines_of_chosen_rows_are_what_take_gives() -> None:
    """`lines` decodes the rows a snapshot keeps in one go; its copy reads the same."""
    rng = np.random.default_rng(3)
    for _ in range(100):
        column, texts = TextColumn(), []
        for _ in range(int(rng.integers(1, 4))):
            batch = [
                "" if rng.random() < 0.3 else "ż" * int(rng.integers(0, 3)) + str(rng.random())
                for _ in range(int(rng.integers(0, 20)))
            ]
            column.extend(batch)
            texts += batch
        rows = np.flatnonzero(rng.random(len(texts)) < 0.6)
        twin = column.copy()
        column.extend(["later"])
        expected = "".join(f"{texts[row]}\n" for row in rows)
        assert twin.lines(rows) == column.lines(rows) == expected
        assert len(twin) == len(texts)


def test_growing_array_keeps_what_was_appended_across_growth() -> None:
    array = GrowingArray(np.int64)
    for start in range(0, 1000, 37):
        array.extend(np.arange(start, min(start + 37, 1000)))
    assert array.view().tolist() == list(range(1000))


def test_a_column_of_empty_texts_holds_no_offsets_until_a_text_arrives() -> None:
    column = TextColumn()
    column.extend([""] * 1000)
    assert column.nbytes == 0 and len(column) == 1000
    assert column[999] == "" and column.take([0, 1]) == ["", ""]
    with pytest.raises(IndexError):
        column[1000]
    column.extend(["", "zażółć", ""])
    assert column.take([999, 1000, 1001, 1002]) == ["", "", "zażółć", ""]
    # 1003 offsets of 2 bytes, a base of 8 bytes for each 128 rows, the text's 12 UTF-8 bytes.
    assert column.nbytes == 1003 * 2 + 8 * 8 + len("zażółć".encode())
    with pytest.raises(IndexError):
        column[1003]
    # take() finds offsets for many rows at once; a row outside the column is still refused.
    for outside in ([1003], [0, -1], [5, 2000]):
        with pytest.raises(IndexError):
            column.take(outside)
    assert column.take(np.array([1001, 0, 1001])) == ["zażółć", "", "zażółć"]


@pytest.mark.parametrize(
    ("block_steps", "block_rows", "narrow_ends"),
    [(np.uint16, 128, np.uint32), (np.uint8, 4, np.uint16), (np.uint8, 4, np.uint8)],
)
def test_text_offsets_widen_when_the_texts_outgrow_them(
    monkeypatch: pytest.MonkeyPatch, block_steps: type, block_rows: int, narrow_ends: type
) -> None:
    """Small stand-ins for 16-bit steps and 4-byte offsets: short texts keep the steps, a
    300-byte one outgrows a block's, and texts past 64 KiB in all outgrow 2-byte offsets."""
    monkeypatch.setattr(columns, "BLOCK_STEPS", block_steps)
    monkeypatch.setattr(columns, "BLOCK_ROWS", block_rows)
    monkeypatch.setattr(columns, "NARROW_ENDS", narrow_ends)
    rng = np.random.default_rng(5)
    column, texts = TextColumn(), []
    shapes = [("short", 30), ("long", 1), ("short", 20), ("huge", 4), ("short", 20)]
    for shape, batches in shapes:
        for _ in range(batches):
            size = int(rng.integers(0, 8))
            length = {"short": 12, "long": 300, "huge": 20_000}[shape]
            batch = ["" if rng.random() < 0.2 else f"{i:03d}" + "ż" * length for i in range(size)]
            column.extend(batch)
            texts += batch
            assert column.take(range(len(texts))) == texts
    rows = np.flatnonzero(rng.random(len(texts)) < 0.5)
    assert column.copy().lines(rows) == "".join(f"{texts[row]}\n" for row in rows)
    with_007 = [row for row, text in enumerate(texts) if text.startswith("007")]
    assert column.rows_containing("007").tolist() == with_007
    assert [column[row] for row in range(len(texts))] == texts


def test_a_million_ids_cost_two_bytes_of_offsets_each() -> None:
    column = TextColumn()
    ids = [f"point-{i}" for i in range(1_000_000)]
    for start in range(0, len(ids), 10_000):
        column.extend(ids[start : start + 10_000])
    text_bytes = sum(map(len, ids))
    assert column.nbytes == text_bytes + 2 * len(ids) + 8 * (len(ids) // 128 + 1)
    assert column.take([0, 127, 128, 999_999]) == [ids[0], ids[127], ids[128], ids[-1]]


def test_id_table_costs_what_its_docstring_says() -> None:
    table = IdMap()
    ids = [f"doc-{i}" for i in range(100_000)]
    for start in range(0, len(ids), 10_000):
        table.append(ids[start : start + 10_000])
    text_bytes = sum(len(i) for i in ids)
    assert text_bytes + 8 * len(ids) <= table.nbytes <= text_bytes + 20 * len(ids)


def test_slots_widen_to_four_bytes_once_rows_outgrow_three(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(id_map, "NARROW_MAX_ROW", 300)
    table, ids = IdMap(), [f"q{i}" for i in range(1000)]
    for start in range(0, 1000, 70):
        rows = table.append(ids[start : start + 70])
        table.remove_rows(rows[::7])
        assert table._slots.wide == (rows[-1] > 300)
    kept = [i for n, i in enumerate(ids) if (n % 70) % 7]
    assert table.rows_of(kept).tolist() == [ids.index(i) for i in kept]
    assert (table.rows_of(ids[::70]) == -1).all()
    assert table.nbytes == table._ids.nbytes + 4 * len(table._slots)
    assert table._slots.wide


def test_rows_placed_past_gaps_hold_no_ids_and_later_ids_follow_them() -> None:
    """An index restored from the index cache keeps the rows of points deleted before it was
    stored: the live ids are placed at their rows, the rows between hold no id."""
    table = IdMap()
    table.append(["a", "b"])
    evens = [f"e{i}" for i in range(5000)]  # enough to resize the table on the way
    table.place(evens, np.arange(4, 10_004, 2))
    table.pad(10_010)
    assert table.append(["z"]).tolist() == [10_010]
    assert len(table) == 5003 and table.rows_total == 10_011
    found = table.rows_of(["a", "b", "e0", "e4999", "z", "e5000"])
    assert found.tolist() == [0, 1, 4, 10_002, 10_010, -1]
    assert table.ids_at(np.array([2, 4, 5, 10_009])) == ["", "e0", "", ""]
    table.remove_rows(np.array([4]))
    assert table.row_of("e0") is None and table.row_of("e1") == 6


def test_text_column_places_texts_past_gaps() -> None:
    column = TextColumn()
    column.place(["x", "ż"], np.array([2, 5]))
    column.place(["y"], np.array([6]))
    column.pad(8)
    assert column.take(range(8)) == ["", "", "x", "", "", "ż", "y", ""]


def test_text_column_compares_stored_texts_with_packed_ones_byte_for_byte() -> None:
    column = TextColumn()
    column.extend(["", "abc", "zażółć", "abd", "ab"])
    asked = ["abc", "zażółć", "abc", "", "zażółc", "ab"]
    wanted = PackedTexts.of(asked)
    rows = np.array([1, 2, 3, 0, 2, 4, 4])
    which = np.array([0, 1, 2, 3, 4, 5, 0])
    expected = [column[int(r)] == asked[int(w)] for r, w in zip(rows, which, strict=True)]
    assert column.equals(rows, wanted, which).tolist() == expected
    assert expected == [True, True, False, True, False, True, False]
    # A column of empty texts keeps no buffer: only empty texts equal its rows.
    empty = TextColumn()
    empty.extend(["", ""])
    assert empty.equals(np.array([0, 1]), wanted, np.array([3, 0])).tolist() == [True, False]
