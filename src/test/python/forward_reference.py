#!/usr/bin/env python3
"""Reference logits and hidden states for the forward-pass fixtures, in float64 PyTorch.

The model math is written out here from the transformers model definitions (LlamaForCausalLM,
MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM) in plain torch; transformers itself is not used.
Only torch and numpy are needed (Debian: apt-get install python3-torch, then run it with /usr/bin/python3;
the fixtures in the repository were made with torch 1.13.1).

Usage, from the repository root:
    ./mvnw -q -DskipTests package
    java -cp target/jmerge.jar dev.jmerge.synth.ForwardFixtureModels target/forward-fixtures
    /usr/bin/python3 src/test/python/forward_reference.py target/forward-fixtures src/test/resources/forward

For every model folder it writes OUT/<name>.safetensors with, per sequence i of sequences.json,
  seq<i>.tokens  (I64 [n])          the token ids
  seq<i>.logits  (F64 [n, vocab])   logits of every position
and for the left-padded batch of all the sequences (padding on the left, position ids = column, as
transformers uses when it is called without position ids):
  hidden.last    (F64 [layers, batch, hidden])  state entering each layer at the last position
  hidden.mean    (F64 [layers, batch, hidden])  mean over the real tokens of the state entering each layer
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


# ---- safetensors ---------------------------------------------------------------------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        shape = info["shape"]
        dt = info["dtype"]
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        elif dt == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        else:
            raise ValueError(f"{path}: {name}: dtype {dt} not handled")
        out[name] = torch.from_numpy(a.reshape(shape).copy())
    return out


def load_weights(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    w = {}
    for name in files:
        w.update(read_safetensors(os.path.join(folder, name)))
    return w


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, array) in tensors.items():
        raw = array.astype("<f8" if dtype == "F64" else "<i8").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- rotary embeddings ------------------------------------------------------------------------------------------

def inv_freq(cfg, head_dim, seq_len):
    scaling = cfg.get("rope_scaling") or {}
    rtype = scaling.get("rope_type", scaling.get("type", "default"))
    theta = float(cfg.get("rope_theta", 10000.0))
    dim = head_dim
    exps = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    max_pos = cfg.get("max_position_embeddings", 2048)
    if rtype == "default":
        return theta ** -exps, 1.0
    factor = float(scaling["factor"])
    orig = scaling.get("original_max_position_embeddings", max_pos)
    if rtype == "linear":
        return theta ** -exps / factor, 1.0
    if rtype == "dynamic":
        base = theta
        if seq_len > orig:
            base = theta * ((factor * seq_len / orig) - (factor - 1)) ** (dim / (dim - 2))
        return base ** -exps, 1.0
    if rtype == "llama3":
        inv = theta ** -exps
        low, high = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
        out = inv.clone()
        for i in range(len(inv)):
            wavelen = 2 * math.pi / inv[i].item()
            if wavelen > orig / low:
                out[i] = inv[i] / factor
            elif wavelen >= orig / high:
                smooth = (orig / wavelen - low) / (high - low)
                out[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i]
        return out, 1.0
    if rtype == "yarn":
        inv = theta ** -exps
        beta_fast = scaling.get("beta_fast") or 32
        beta_slow = scaling.get("beta_slow") or 1

        def corr(rot):
            return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(theta))

        lo, hi = math.floor(corr(beta_fast)), math.ceil(corr(beta_slow))
        lo, hi = max(lo, 0), min(hi, dim - 1)
        if lo == hi:
            hi += 0.001
        ramp = ((torch.arange(dim // 2, dtype=torch.float64) - lo) / (hi - lo)).clamp(0, 1)
        extrapolate = 1 - ramp
        out = inv / factor * (1 - extrapolate) + inv * extrapolate
        attention = scaling.get("attention_factor")
        if attention is None:
            attention = 0.1 * math.log(factor) + 1.0 if factor > 1 else 1.0
        return out, attention
    raise ValueError(f"rope type {rtype}")


def rotate(x, positions, inv, attention):
    # x: [seq, heads, dim]; transformers' rotate_half pairs dimension i with i + dim/2.
    angles = positions[:, None].double() * inv[None, :]
    emb = torch.cat([angles, angles], dim=-1)
    cos, sin = emb.cos() * attention, emb.sin() * attention
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos[:, None, :] + rotated * sin[:, None, :]


# ---- the decoder ---------------------------------------------------------------------------------------------------

def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def layer_windows(cfg):
    n = cfg["num_hidden_layers"]
    window = cfg.get("sliding_window")
    if "layer_types" in cfg:
        return [window if t == "sliding_attention" else 0 for t in cfg["layer_types"]]
    arch = cfg["architectures"][0]
    if not window:
        return [0] * n
    if arch == "MistralForCausalLM":
        return [window] * n
    if arch.startswith("Qwen") and cfg.get("use_sliding_window", False):
        start = cfg.get("max_window_layers", n)
        return [window if i >= start else 0 for i in range(n)]
    return [0] * n


def forward(cfg, w, tokens, positions, seq_len):
    """Hidden states entering each layer and the logits, for one sequence at the given position ids."""
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    head_dim = cfg.get("head_dim") or hidden // heads
    eps = cfg.get("rms_norm_eps", 1e-6)
    inv, attention = inv_freq(cfg, head_dim, seq_len)
    x = w["model.embed_tokens.weight"][tokens]
    n = len(tokens)
    entering = []
    for i, window in enumerate(layer_windows(cfg)):
        entering.append(x.clone())
        p = f"model.layers.{i}."

        def lin(name, v):
            y = v @ w[p + name + ".weight"].T
            b = w.get(p + name + ".bias")
            return y + b if b is not None else y

        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin("self_attn.q_proj", h).view(n, heads, head_dim)
        k = lin("self_attn.k_proj", h).view(n, kv_heads, head_dim)
        v = lin("self_attn.v_proj", h).view(n, kv_heads, head_dim)
        if p + "self_attn.q_norm.weight" in w:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = rotate(q, positions, inv, attention)
        k = rotate(k, positions, inv, attention)
        group = heads // kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(head_dim)
        qi = positions[:, None]
        ki = positions[None, :]
        allowed = ki <= qi
        if window:
            allowed = allowed & (qi - ki < window)
        scores = scores.masked_fill(~allowed[None, :, :], float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        out = torch.einsum("hqk,khd->qhd", probs, v).reshape(n, heads * head_dim)
        x = x + lin("self_attn.o_proj", out)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = lin("mlp.gate_proj", h)
        u = lin("mlp.up_proj", h)
        x = x + lin("mlp.down_proj", torch.nn.functional.silu(g) * u)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return entering, x @ head.T


def main(models_root, out_root):
    os.makedirs(out_root, exist_ok=True)
    for name in sorted(os.listdir(models_root)):
        folder = os.path.join(models_root, name)
        if not os.path.isfile(os.path.join(folder, "sequences.json")):
            continue
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(folder, "sequences.json")) as f:
            seqs = json.load(f)
        w = load_weights(folder)
        out = {}
        for i, s in enumerate(seqs):
            _, logits = forward(cfg, w, torch.tensor(s), torch.arange(len(s)), len(s))
            out[f"seq{i}.tokens"] = ("I64", np.array(s, dtype=np.int64))
            out[f"seq{i}.logits"] = ("F64", logits.numpy())
        width = max(len(s) for s in seqs)
        last, mean = [], []
        for s in seqs:
            pad = width - len(s)
            entering, _ = forward(cfg, w, torch.tensor(s), torch.arange(pad, width), width)
            last.append(torch.stack([e[-1] for e in entering]))
            mean.append(torch.stack([e.mean(0) for e in entering]))
        out["hidden.last"] = ("F64", torch.stack(last, dim=1).numpy())
        out["hidden.mean"] = ("F64", torch.stack(mean, dim=1).numpy())
        write_safetensors(os.path.join(out_root, name + ".safetensors"), out)
        print(f"{name}: {len(seqs)} sequences, {cfg['architectures'][0]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
