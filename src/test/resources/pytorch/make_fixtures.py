"""Writes the PyTorch .bin fixtures of jmerge's tests and their safetensors twins.

Run once with a real PyTorch (Debian's python3-torch 1.13 was used):  /usr/bin/python3 make_fixtures.py
The outputs are committed; tests never run this script.
"""
import collections
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def write_safetensors(path, tensors):
    """The safetensors layout written by hand: 8-byte little-endian header length, JSON header, data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def state_dict():
    g = torch.Generator().manual_seed(1234)
    base = torch.randn(32, generator=g)                      # one storage shared by three tensors below
    sd = collections.OrderedDict()
    sd["model.embed_tokens.weight"] = torch.randn(6, 4, generator=g)
    sd["model.layers.0.self_attn.q_proj.weight"] = torch.randn(4, 4, generator=g).to(torch.bfloat16)
    sd["model.layers.0.mlp.up_proj.weight"] = torch.randn(5, 4, generator=g).to(torch.float16)
    sd["model.layers.0.input_layernorm.weight"] = torch.randn(4, generator=g).to(torch.float64)
    sd["model.layers.0.offset_view"] = base[7:19].view(3, 4)     # storage_offset 7
    sd["model.layers.0.shared_head"] = base[0:6]                 # same storage, offset 0
    sd["model.layers.0.shared_tail"] = base[20:32].view(2, 2, 3)  # same storage, offset 20, rank 3
    sd["model.norm.weight"] = torch.nn.Parameter(torch.randn(4, generator=g))  # pickled via _rebuild_parameter
    sd["position_ids"] = torch.arange(7, dtype=torch.int64)
    sd["mask"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    return sd


def plain(sd):
    return collections.OrderedDict((k, v.detach().clone().contiguous()) for k, v in sd.items())


def main():
    sd = state_dict()

    single = os.path.join(HERE, "single")
    os.makedirs(single, exist_ok=True)
    torch.save(sd, os.path.join(single, "pytorch_model.bin"))
    write_safetensors(os.path.join(HERE, "single.safetensors"), plain(sd))

    wrapped = os.path.join(HERE, "wrapped")
    os.makedirs(wrapped, exist_ok=True)
    torch.save({"state_dict": sd, "epoch": 3}, os.path.join(wrapped, "pytorch_model.bin"))

    sharded = os.path.join(HERE, "sharded")
    os.makedirs(sharded, exist_ok=True)
    names = list(sd.keys())
    parts = [names[:5], names[5:]]
    weight_map = {}
    for i, part in enumerate(parts):
        fname = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(parts))
        torch.save(collections.OrderedDict((k, sd[k]) for k in part), os.path.join(sharded, fname))
        weight_map.update({k: fname for k in part})
    with open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)

    noncontig = os.path.join(HERE, "noncontiguous")
    os.makedirs(noncontig, exist_ok=True)
    torch.save({"w": torch.randn(3, 4).t()}, os.path.join(noncontig, "pytorch_model.bin"))

    class System:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    class Eval:
        def __reduce__(self):
            return (eval, ("__import__('os').system('echo pwned')",))

    for name, payload in (("hostile_system", System()), ("hostile_eval", Eval())):
        d = os.path.join(HERE, name)
        os.makedirs(d, exist_ok=True)
        torch.save({"w": torch.zeros(2), "x": payload}, os.path.join(d, "pytorch_model.bin"))


if __name__ == "__main__":
    main()
