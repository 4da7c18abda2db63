"""Recomputes the T5 fixtures' expected tensors with the benchmarks' PyTorch T5, and checks them against the shipped
ones (or writes them).

For each case of FIXTURE/cases.safetensors it takes the inputs (input_ids, attention_mask, labels, prompt) and the
model (FIXTURE/config.json + model.safetensors), computes every expected tensor in float64 as the fixture README
defines it (embedded input, buckets, position biases, block-0 outputs, hidden states, logits, loss, dL/dP, the
no-prompt variants, greedy ids and logits), rounds to the shipped dtype, and compares: gathers and integers
exactly, floats norm-wise (max |a - e| / max |e|) against the README's 1e-4.

  /usr/bin/python3 benchmarks/python/regen_fixtures.py t5-core/src/test/resources/fixtures/t5/tiny-v1_1
  /usr/bin/python3 benchmarks/python/regen_fixtures.py FIXTURE --write OUT.safetensors   # write the recomputed set

Needs Debian's python3-torch (1.13) and numpy; nothing else (safetensors files are read and written here).
Exit code 0 when every tensor matches.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from t5_torch_bench import T5  # noqa: E402

DTYPES = {"F32": (np.float32, torch.float32), "F64": (np.float64, torch.float64), "I64": (np.int64, torch.int64),
          "I32": (np.int32, torch.int32)}
EXACT = {"embedded_input", "enc_position_bias", "dec_position_bias"}
GREEDY_STEPS = 8


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        np_t, _ = DTYPES[info["dtype"]]
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.dtype(np_t).newbyteorder("<")).copy()
                                     .reshape(info["shape"]))
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dt = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64", torch.int32: "I32"}[t.dtype]
        raw = t.numpy().astype(np.dtype(DTYPES[dt][0]).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def model_of(fixture):
    cfg = json.load(open(f"{fixture}/config.json"))
    proj = cfg.get("feed_forward_proj", "relu")
    c = dict(vocab=cfg["vocab_size"], d=cfg["d_model"], dkv=cfg["d_kv"], dff=cfg["d_ff"], layers=cfg["num_layers"],
             dec_layers=cfg.get("num_decoder_layers") or cfg["num_layers"], heads=cfg["num_heads"],
             gated=proj.startswith("gated"), tied=cfg.get("tie_word_embeddings", True),
             buckets=cfg.get("relative_attention_num_buckets", 32), max_dist=cfg.get("relative_attention_max_distance", 128),
             eps=cfg.get("layer_norm_epsilon", 1e-6))
    return T5.from_state(c, read_safetensors(f"{fixture}/model.safetensors"), torch.float64), cfg


def additive(mask):
    return (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float32).min


def encode(m, x, mask):
    """x: [B, Le, d] embedded input; returns hidden, block-0 output, bias [H, Le, Le], buckets [Le, Le]."""
    le = x.shape[1]
    bias = m.position_bias(m.enc_bias, le, le, True)
    rel = torch.arange(le)[None, :] - torch.arange(le)[:, None]
    first = None
    for blk in m.enc:
        x = x + m.self_attention(blk["sa"], m.norm(x, blk["ln0"]), bias, additive(mask))
        x = x + m.ffn(blk["ff"], m.norm(x, blk["ln1"]))
        first = x if first is None else first
    return m.norm(x, m.enc_ln), first, bias[0], m.buckets(rel, True)


def decode(m, ids, h, mask):
    """ids: [B, T]; returns hidden (before a tied model's rescale), block-0 output, bias, buckets, logits."""
    t = ids.shape[1]
    y = m.shared[ids]
    bias = m.position_bias(m.dec_bias, t, t, False)
    rel = torch.arange(t)[None, :] - torch.arange(t)[:, None]
    causal = torch.triu(torch.full((t, t), torch.finfo(torch.float32).min, dtype=torch.float64), 1)
    first = None
    for blk in m.dec:
        y = y + m.self_attention(blk["sa"], m.norm(y, blk["ln0"]), bias, causal)
        n = m.norm(y, blk["ln1"])
        y = y + m.attention(blk["ca"], n, m.heads(blk["ca"]["k"], h), m.heads(blk["ca"]["v"], h), None, additive(mask))
        y = y + m.ffn(blk["ff"], m.norm(y, blk["ln2"]))
        first = y if first is None else first
    hidden = m.norm(y, m.dec_ln)
    scaled = hidden * m.c["d"] ** -0.5 if m.c["tied"] else hidden
    return hidden, first, bias[0], m.buckets(rel, False), scaled @ m.head.T


def greedy(m, h, mask, start):
    ids = torch.full((h.shape[0], 1), start, dtype=torch.long)
    logits = []
    for _ in range(GREEDY_STEPS):
        step = decode(m, ids, h, mask)[4][:, -1]
        logits.append(step)
        ids = torch.cat([ids, step.argmax(-1, keepdim=True)], 1)
    return ids[:, 1:], torch.stack(logits, 1)


def case(m, cfg, inp):
    ids, mask, labels = inp["input_ids"], inp["attention_mask"], inp["labels"]
    prompt = inp["prompt"].double().requires_grad_(True)
    b, p = ids.shape[0], prompt.shape[0]
    start, pad = cfg.get("decoder_start_token_id", 0), cfg.get("pad_token_id", 0)
    dec_ids = torch.cat([torch.full((b, 1), start, dtype=torch.long), labels[:, :-1]], 1)
    dec_ids = torch.where(dec_ids == -100, torch.full_like(dec_ids, pad), dec_ids)
    ext = torch.cat([torch.ones(b, p, dtype=torch.long), mask], 1)
    embedded = torch.cat([prompt[None].expand(b, -1, -1), m.shared[ids]], 1)
    h, enc0, enc_bias, enc_buckets = encode(m, embedded, ext)
    hidden, dec0, dec_bias, dec_buckets, logits = decode(m, dec_ids, h, ext)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
    loss.backward()
    out = dict(decoder_input_ids=dec_ids, encoder_attention_mask_ext=ext, embedded_input=embedded, enc_rel_buckets=enc_buckets,
               enc_position_bias=enc_bias, enc_layer0_out=enc0, encoder_hidden=h, dec_rel_buckets=dec_buckets,
               dec_position_bias=dec_bias, dec_layer0_out=dec0, decoder_hidden=hidden, logits=logits, loss=loss.reshape(1),
               prompt_grad=prompt.grad)
    with torch.no_grad():
        hn = encode(m, m.shared[ids], mask)[0]
        ln = decode(m, dec_ids, hn, mask)[4]
        out.update(noprompt_encoder_hidden=hn, noprompt_logits=ln,
                   noprompt_loss=F.cross_entropy(ln.reshape(-1, ln.shape[-1]), labels.reshape(-1), ignore_index=-100).reshape(1))
        out["greedy_ids_noprompt"], out["greedy_logits_noprompt"] = greedy(m, hn, mask, start)
        out["greedy_ids_prompt"], out["greedy_logits_prompt"] = greedy(m, h.detach(), ext, start)
    return {k: v.detach() for k, v in out.items()}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    fixture = sys.argv[1].rstrip("/")
    write = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None
    m, cfg = model_of(fixture)
    shipped = read_safetensors(f"{fixture}/cases.safetensors")
    cases = sorted({k.split("/")[0] for k in shipped})
    written, worst, failed = {}, 0.0, []
    for c in cases:
        inputs = {k.split("/", 1)[1]: v for k, v in shipped.items() if k.startswith(c + "/")}
        got = case(m, cfg, inputs)
        for name, expected in inputs.items():
            if name not in got:
                written[f"{c}/{name}"] = expected      # an input: kept as shipped
                continue
            actual = got[name].to(expected.dtype).reshape(expected.shape)
            written[f"{c}/{name}"] = actual
            if not expected.is_floating_point():
                ok, err = torch.equal(actual, expected), float((actual != expected).sum())
            else:
                err = float((actual.double() - expected.double()).abs().max() / expected.double().abs().max().clamp_min(1e-30))
                ok = err == 0 if name in EXACT else err <= 1e-4
                worst = max(worst, err if name not in EXACT else 0)
            print(f"{c:14s} {name:28s} {'ok' if ok else 'FAILED'}  {'mismatches' if not expected.is_floating_point() else 'error'} {err:.2e}")
            if not ok:
                failed.append(f"{c}/{name}")
        missing = sorted(set(got) - set(inputs))
        if missing:
            print(f"{c}: computed but not shipped: {missing}")
    if write:
        write_safetensors(write, written)
        print(f"wrote {len(written)} tensors to {write}")
    print(f"{fixture}: {len(written)} tensors, worst norm-wise error {worst:.2e}, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    torch.set_num_threads(2)
    sys.exit(main())
