"""The text8 download is refused unless it has the exact shape of text8.zip (no network here)."""

from __future__ import annotations

import zipfile

import pytest

from semspace.trainers.words import text8


def test_a_file_of_the_wrong_size_is_not_taken_for_text8(tmp_path) -> None:
    path = tmp_path / "text8.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("text8", "anarchism originated as a term")
    with pytest.raises(ValueError, match="31344016"):
        text8.check_text8_zip(path)


def test_an_existing_text8_zip_is_used_without_downloading(tmp_path, monkeypatch) -> None:
    present = tmp_path / "text8" / "text8.zip"
    present.parent.mkdir()
    present.write_bytes(b"already here")

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("must not download")

    monkeypatch.setattr(text8.urllib.request, "urlopen", no_network)
    assert text8.fetch_text8(tmp_path) == present
