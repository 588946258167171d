import json
import struct

import numpy as np
import pytest

from sealens.safetensors_io import SafetensorsError, load_file, load_file_with_metadata, save_file


def test_round_trip(tmp_path):
    t = {"a": np.random.rand(3, 4).astype(np.float32), "b": np.arange(5, dtype=np.int64),
         "c": np.ones((2, 2), np.float16), "s": np.array(3.5, np.float32)}
    p = tmp_path / "x.safetensors"
    save_file(t, str(p), {"format": "pt"})
    got, meta = load_file_with_metadata(str(p))
    assert meta == {"format": "pt"}
    for k in t:
        assert got[k].dtype == t[k].dtype and got[k].shape == t[k].shape and np.array_equal(got[k], t[k])
    n = struct.unpack("<Q", p.read_bytes()[:8])[0]
    assert n % 8 == 0


def _write(p, header, body=b""):
    h = json.dumps(header).encode()
    p.write_bytes(struct.pack("<Q", len(h)) + h + body)


@pytest.mark.parametrize("case", ["missing", "short", "hugeheader", "badjson", "offsets", "dtype", "notobject"])
def test_broken_inputs_name_the_file(tmp_path, case):
    p = tmp_path / f"{case}.safetensors"
    if case == "short":
        p.write_bytes(b"\x01\x02")
    elif case == "hugeheader":
        p.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    elif case == "badjson":
        p.write_bytes(struct.pack("<Q", 5) + b"{oops")
    elif case == "offsets":
        _write(p, {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 8)
    elif case == "dtype":
        _write(p, {"w": {"dtype": "Q99", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
    elif case == "notobject":
        _write(p, [1, 2])
    with pytest.raises(SafetensorsError, match=case):
        load_file(str(p))


def test_duplicate_keys_and_non_utf8_headers_are_refused(tmp_path):
    # The engine refuses both; the trainer reading a start adapter must not train from one silently.
    entry = '"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'
    for name, header in [("dup.safetensors", ("{" + entry + "," + entry + "}").encode()),
                         ("latin1.safetensors", json.dumps({"__metadata__": {"n": "XX"}}).encode().replace(b"XX", b"\xff\xfe"))]:
        f = tmp_path / name
        f.write_bytes(struct.pack("<Q", len(header)) + header + b"\0\0\0\0")
        try:
            load_file(str(f))
        except SafetensorsError as e:
            assert name in str(e) and ("twice" in str(e) or "UTF-8" in str(e)), str(e)
        else:
            raise AssertionError(f"{name} was accepted")
