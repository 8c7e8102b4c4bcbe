"""A word-level tokenizer (Hugging Face ``tokenizers``) built from a world's vocabulary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

PAD, UNK = "[PAD]", "[UNK]"


class WordTokenizer:
    """Lower-cased word and punctuation tokens; unknown words map to ``[UNK]``.

    Encodings are memoised: observation lines repeat across steps and replays.
    """

    def __init__(self, words: Iterable[str], cache_size: int = 200_000) -> None:
        splitter = pre_tokenizers.Whitespace()
        pieces = sorted({p for w in words for p, _ in splitter.pre_tokenize_str(w.lower())})
        vocab = {PAD: 0, UNK: 1, **{p: i + 2 for i, p in enumerate(pieces)}}
        self.tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
        self.tokenizer.normalizer = normalizers.Lowercase()
        self.tokenizer.pre_tokenizer = splitter
        self.words = list(vocab)
        self._cache: dict[str, list[int]] = {}
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, without special tokens."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > self._cache_size:
                self._cache.clear()
            for text, enc in zip(missing, self.tokenizer.encode_batch(missing, add_special_tokens=False)):
                self._cache[text] = enc.ids
        return [self._cache[t] for t in texts]

    def unknown_rate(self, texts: Sequence[str]) -> float:
        ids = [i for row in self.encode(texts) for i in row]
        return sum(i == 1 for i in ids) / max(1, len(ids))
