"""Streaming corpus reader: text8 / zip / plain text → int32 word ids, vocabulary in one pass.

The file is read in blocks of bytes; each block is split and turned into numpy arrays straight
away (`np.unique` gives block-local ids), so at no point does the process hold a Python string
per corpus token — only one block's worth. Block-local ids are remapped to vocabulary ids once
the counts of the whole pass are known, so the text is read exactly once.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from semspace.trainers.words.vocab import Vocabulary

log = logging.getLogger(__name__)

BLOCK_BYTES = 8 << 20
OOV = -1


@dataclass(frozen=True)
class EncodedCorpus:
    """The corpus as vocabulary ids; out-of-vocabulary tokens are dropped (as word2vec.c does).

    `sentence_ends` holds the exclusive end offset (into `ids`) of each line; text8 is a single
    line, so context windows only stop at line breaks of plain-text files.
    """

    vocab: Vocabulary
    ids: np.ndarray  # int32
    sentence_ends: np.ndarray  # int64
    raw_words: int  # tokens in the file, before min_count

    def sentence_index(self) -> np.ndarray:
        """The line number of each token (int32), used to keep windows inside a line."""
        lengths = np.diff(self.sentence_ends, prepend=0)
        return np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)


def open_text(path: Path) -> tuple[io.BufferedIOBase, int]:
    """A binary stream over a plain file or the single member of a zip, and its size."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise ValueError(f"{path} holds {len(members)} files; expected one text8-style file")
        return archive.open(members[0]), members[0].file_size
    return path.open("rb"), path.stat().st_size


def read_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[bytes, int]]:
    """Blocks of whole lines-or-words: (text, bytes consumed); a block never splits a word."""
    stream, size = open_text(path)
    carry = b""
    with stream, tqdm(total=size, unit="B", unit_scale=True, desc="reading corpus") as bar:
        while True:
            data = stream.read(block_bytes)
            if not data:
                break
            data = carry + data
            cut = max(data.rfind(b" "), data.rfind(b"\n"))
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            bar.update(cut + 1)
            yield data[: cut + 1], cut + 1
        if carry:
            bar.update(len(carry))
            yield carry, len(carry)


def _encode_block(block: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unique words, their counts, block-local ids, per-token line-break flags) of one block."""
    lines = block.split(b"\n")
    tokens: list[bytes] = []
    breaks: list[int] = []
    for line in lines:
        words = line.split()
        tokens.extend(words)
        breaks.append(len(tokens))
    unique, inverse, counts = np.unique(
        np.array(tokens, dtype=np.bytes_), return_inverse=True, return_counts=True
    )
    # Every "\n" ends a line; the text after the block's last "\n" continues in the next block.
    ends = np.array(breaks[:-1], dtype=np.int64)
    return unique, counts, inverse.astype(np.int32), ends


def encode_corpus(path: Path, min_count: int = 5, block_bytes: int = BLOCK_BYTES) -> EncodedCorpus:
    """Reads `path` once: counts words, builds the vocabulary and the int32 id stream."""
    counts: Counter[bytes] = Counter()
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for block, _ in read_blocks(path, block_bytes):
        unique, block_counts, local_ids, ends = _encode_block(block)
        counts.update(dict(zip(unique.tolist(), block_counts.tolist(), strict=True)))
        blocks.append((unique, local_ids, ends))
    raw_words = sum(counts.values())
    if raw_words == 0:
        raise ValueError(f"{path} holds no words")
    decoded = {w.decode("utf-8", errors="replace"): c for w, c in counts.items()}
    vocab = Vocabulary.from_counts(decoded, min_count)
    if len(vocab) == 0:
        raise ValueError(f"no word of {path} occurs {min_count} times; lower min_count")
    index = vocab.index()
    pieces, ends_all, offset = [], [], 0
    for unique, local_ids, ends in blocks:
        lookup = np.array(
            [index.get(w.decode("utf-8", errors="replace"), OOV) for w in unique.tolist()],
            dtype=np.int32,
        )
        global_ids = lookup[local_ids]
        kept = global_ids != OOV
        # Line ends move left by the number of dropped tokens before them.
        dropped_before = np.concatenate([[0], np.cumsum(~kept)])
        ends_all.append(offset + ends - dropped_before[ends])
        ids = global_ids[kept]
        pieces.append(ids)
        offset += len(ids)
    ids = np.concatenate(pieces) if pieces else np.zeros(0, np.int32)
    sentence_ends = np.unique(np.concatenate([*ends_all, [len(ids)]]).astype(np.int64))
    sentence_ends = sentence_ends[sentence_ends > 0]
    log.info(
        "corpus %s: %d words, %d in vocabulary, vocabulary %d (min_count %d)",
        path, raw_words, len(ids), len(vocab), min_count,
    )  # fmt: skip
    return EncodedCorpus(vocab, ids, sentence_ends, raw_words)
