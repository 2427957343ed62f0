#!/usr/bin/env python3
"""Writes the safetensors fixture that tests/DiffPrune.Tensors.Tests/IO reads back.

PyTorch makes the F32, F16 and BF16 values; the file is assembled by hand with struct + json (no `safetensors`
package needed), deliberately unlike our own writer: keys out of order, data laid out in a different order than
the keys, an unpadded header (so the F32 data starts at an odd offset), metadata last.
The expected float32 values are torch's own `.float()` of each tensor, stored as raw bit patterns so the test
compares exactly (NaN and -0.0 included).

Dev-only: needs torch; the build and the tests never run it.
    python3 tools/make_safetensors_fixture.py [out_dir]
"""
import json
import os
import struct
import sys

import torch

# name -> tensor; data is written in this order
TENSORS = {
    "bf16.values": torch.tensor([3.14159, -1.0e30, 1.0e-40, -0.0, 65.4321], dtype=torch.float32).bfloat16(),
    "f32.values": torch.tensor([[1.5, -0.0, 3.4028235e38], [1.0e-45, -2.25, float("inf")]], dtype=torch.float32),
    "f16.values": torch.tensor([[1.0, -2.5, 65504.0, 6.0e-8], [float("-inf"), float("nan"), 0.1, 1.0 / 3.0]]).half(),
    "f16.scalar": torch.tensor(0.333).half(),
    "bf16.empty": torch.zeros(0, 2).bfloat16(),
}
# header key order (not sorted, not the data order)
HEADER_ORDER = ["f16.values", "bf16.empty", "f32.values", "bf16.values", "f16.scalar"]
METADATA = {"format": "pt", "producer": "torch " + torch.__version__.split("a")[0]}
DTYPES = {torch.float32: ("F32", torch.int32), torch.float16: ("F16", torch.int16), torch.bfloat16: ("BF16", torch.int16)}


def raw_bytes(t):
    # numpy has no bfloat16: reinterpret as a same-width integer, then take the little-endian bytes
    _, int_type = DTYPES[t.dtype]
    return t.contiguous().view(int_type).numpy().astype("<i" + str(t.element_size())).tobytes()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests",
                                                                 "DiffPrune.Tensors.Tests", "IO", "Fixtures")
    data, offsets = b"", {}
    for name, t in TENSORS.items():
        b = raw_bytes(t)
        offsets[name] = [len(data), len(data) + len(b)]
        data += b
    header = {}
    for name in HEADER_ORDER:
        t = TENSORS[name]
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": offsets[name]}
    header["__metadata__"] = METADATA
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with open(os.path.join(out_dir, "torch_dtypes.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)) + header_bytes + data)

    expected = {"metadata": METADATA, "tensors": {}}
    for name in sorted(TENSORS):
        t = TENSORS[name]
        bits = t.float().contiguous().view(torch.int32).flatten().tolist()
        expected["tensors"][name] = {
            "dtype": DTYPES[t.dtype][0],
            "shape": list(t.shape),
            "float32_bits": [b & 0xFFFFFFFF for b in bits],
            "values": [repr(v) for v in t.float().flatten().tolist()],  # for people; the test uses the bits
        }
    with open(os.path.join(out_dir, "torch_dtypes.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
