from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from sentiment.e5s1 import dequantize_q4, read_e5s1
from sentiment.errors import CheckpointError


def test_q4_block_is_low_nibbles_then_high_nibbles_times_scale() -> None:
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    block = struct.pack("<e", 0.5) + nibbles
    weights = dequantize_q4(block + block, 64)
    low = [(j - 8) * 0.5 for j in range(16)]
    high = [(7 - j) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(weights, np.array((low + high) * 2, dtype=np.float32))


def test_a_file_that_is_not_e5s1_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(CheckpointError, match="not an E5S1 file"):
        read_e5s1(bogus)
