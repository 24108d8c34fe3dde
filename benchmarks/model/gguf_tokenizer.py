"""A ``tokenizers`` tokenizer rebuilt from a GGUF file's own vocabulary (byte-level BPE models such as
SmolLM2), so prompt sizes are counted with the served model's tokenizer without the model runtime.

    python -m benchmarks.model.gguf_tokenizer MODEL.gguf OUT.json.gz

``make e2e-model`` rebuilds ``benchmarks/model/smollm2-tokenizer.json.gz`` this way and checks its counts
against the server's own ``/extras/tokenize/count``; the test suite counts with the stored file.
"""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY, CONTROL_TOKEN = 8, 9, 3


def _string(f: BinaryIO) -> str:
    (n,) = struct.unpack("<Q", f.read(8))
    return f.read(n).decode("utf-8", "replace")


def _value(f: BinaryIO, kind: int) -> Any:
    if kind == STRING:
        return _string(f)
    if kind == ARRAY:
        item, n = struct.unpack("<IQ", f.read(12))
        return [_value(f, item) for _ in range(n)]
    fmt = _SCALARS[kind]
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def gguf_metadata(path: Path) -> dict[str, Any]:
    """The key/value metadata of a GGUF file (version 2 or 3): tokenizer, architecture, chat template."""
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        f.read(4)  # version
        _, count = struct.unpack("<QQ", f.read(16))
        meta = {}
        for _ in range(count):
            key = _string(f)
            (kind,) = struct.unpack("<I", f.read(4))
            meta[key] = _value(f, kind)
        return meta


def build_tokenizer(path: Path):
    """The byte-level BPE tokenizer described by the GGUF's ``tokenizer.ggml.*`` entries (SmolLM2's
    pre-tokenizer: digits one by one, then GPT-2's byte-level split)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    meta = gguf_metadata(path)
    if meta.get("tokenizer.ggml.model") != "gpt2":
        raise ValueError(f"{path}: only byte-level BPE (gpt2) vocabularies are supported")
    tokens = meta["tokenizer.ggml.tokens"]
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                       pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([t for t, kind in zip(tokens, meta["tokenizer.ggml.token_type"], strict=True)
                                  if kind == CONTROL_TOKEN])
    return tokenizer


def main(argv: list[str]) -> int:
    source, target = Path(argv[0]), Path(argv[1])
    target.write_bytes(gzip.compress(build_tokenizer(source).to_str().encode(), compresslevel=9, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
