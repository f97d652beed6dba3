"""SentencePiece BPE tokenizer wrapper used at inference (no torch).

Special ids, fixed for every semspace tokenizer:
    0 <pad>   1 <unk>   2 <s> (start of sequence)   3 </s> (end of sequence)
then byte-fallback pieces <0x00>..<0xFF> and the learned BPE merges. With byte fallback every
string encodes without <unk>, and decoding gives the input back (identity normalisation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import sentencepiece as spm

PAD_ID, UNK_ID, SOS_ID, EOS_ID = 0, 1, 2, 3
WORD_START = "\u2581"
MIN_SUBSTRING = 3
PieceBag = Literal["segmentation", "substrings"]
SPECIAL_PIECES = {PAD_ID: "<pad>", UNK_ID: "<unk>", SOS_ID: "<s>", EOS_ID: "</s>"}


class Tokenizer:
    """Encodes text to BPE pieces and ids; `add_sos`/`add_eos` wrap with <s> (2) and </s> (3)."""

    def __init__(self, model_proto: bytes) -> None:
        self.processor = spm.SentencePieceProcessor(model_proto=model_proto)
        self._index: dict[str, int] | None = None
        self._longest_piece = 0
        for piece_id, piece in SPECIAL_PIECES.items():
            if self.processor.id_to_piece(piece_id) != piece:
                raise ValueError(f"tokenizer id {piece_id} is not {piece}: not a semspace model")

    @classmethod
    def load(cls, path: Path) -> Tokenizer:
        return cls(Path(path).read_bytes())

    @property
    def vocab_size(self) -> int:
        return self.processor.get_piece_size()

    def encode(
        self, text: str, add_sos: bool = False, add_eos: bool = False
    ) -> tuple[list[str], list[int]]:
        """(pieces, ids) of `text`, optionally wrapped in <s> ... </s>."""
        ids = self.processor.encode(text, out_type=int)
        if add_sos:
            ids = [SOS_ID, *ids]
        if add_eos:
            ids = [*ids, EOS_ID]
        return [self.processor.id_to_piece(i) for i in ids], ids

    def decode(self, ids: list[int]) -> str:
        """Text of `ids`; special ids are dropped."""
        return self.processor.decode([i for i in ids if i not in SPECIAL_PIECES])

    def word_piece_ids(self, word: str, bag: PieceBag = "segmentation") -> list[int]:
        """Piece ids of one word (with its word-start marker), no special ids.

        "segmentation" is the BPE encoding; "substrings" adds every vocabulary piece of at least
        3 characters found inside "▁word", overlapping like fastText's character n-grams
        (Bojanowski et al. 2017 §3.2) but drawn from the BPE vocabulary.
        """
        ids = self.processor.encode(word, out_type=int)
        if bag == "segmentation":
            return ids
        marked = WORD_START + word
        index = self._piece_index()
        seen = set(ids)
        for start in range(len(marked)):
            stop_max = min(len(marked), start + self._longest_piece)
            for stop in range(start + MIN_SUBSTRING, stop_max + 1):
                found = index.get(marked[start:stop])
                if found is not None and found not in seen:
                    seen.add(found)
                    ids.append(found)
        return ids

    def _piece_index(self) -> dict[str, int]:
        if self._index is None:
            pieces = (self.processor.id_to_piece(i) for i in range(self.vocab_size))
            self._index = {p: i for i, p in enumerate(pieces) if not self.processor.is_byte(i)}
            self._longest_piece = max(len(p) for p in self._index)
        return self._index
