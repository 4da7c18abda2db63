"""The PyTorch side of the side-by-side benchmark: the same workloads as `./t5pt bench`, in PyTorch.

A compact T5 (v1.0 ReLU/tied and v1.1 gated-gelu/untied) written directly in torch, with random weights at
the real shapes, all weights requires_grad=False; only the soft prompt gets a gradient.

Run (2 threads, as the comparison requires):
  OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 benchmarks/python/t5_torch_bench.py step t5-small
(side_by_side.sh also sets OPENBLAS_CORETYPE to the OpenBLAS kernels the t5pt side used.)
Prints one JSON object: median_ms (and ms_per_token for decode), peak_rss_mb, openblas_coretype.
"""
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

SHAPES = {
    "t5-small": dict(vocab=32128, d=512, dkv=64, dff=2048, layers=6, heads=8, gated=False, tied=True),
    "t5-base-lm-adapt": dict(vocab=32128, d=768, dkv=64, dff=2048, layers=12, heads=12, gated=True, tied=False),
}
B, L, P, T = 8, 128, 100, 8
BUCKETS, MAX_DIST = 32, 128


def bucket(rel, bidirectional, buckets=BUCKETS, max_dist=MAX_DIST):
    n = buckets
    ret = torch.zeros_like(rel)
    if bidirectional:
        n //= 2
        ret += (rel > 0).long() * n
        rel = rel.abs()
    else:
        rel = -torch.clamp(rel, max=0)
    exact = n // 2
    large = exact + (torch.log(rel.float() / exact) / math.log(max_dist / exact) * (n - exact)).long()
    large = torch.clamp(large, max=n - 1)
    return ret + torch.where(rel < exact, rel, large)


class T5:
    """c: vocab, d, dkv, dff, layers, heads, gated, tied; optional buckets, max_dist, eps (T5's defaults)."""

    def __init__(self, c, seed=42):
        g = torch.Generator().manual_seed(seed)
        r = lambda *s: torch.randn(*s, generator=g) / math.sqrt(s[-1])
        self.c = c
        d, inner, dff = c["d"], c["heads"] * c["dkv"], c["dff"]
        self.shared = torch.randn(c["vocab"], d, generator=g)
        self.head = self.shared if c["tied"] else r(c["vocab"], d)

        def attn():
            return dict(q=r(inner, d), k=r(inner, d), v=r(inner, d), o=r(d, inner))

        def ff():
            return dict(wi0=r(dff, d), wi1=r(dff, d), wo=r(d, dff)) if c["gated"] else dict(wi=r(dff, d), wo=r(d, dff))

        self.enc = [dict(ln0=torch.ones(d), sa=attn(), ln1=torch.ones(d), ff=ff()) for _ in range(c["layers"])]
        self.dec = [dict(ln0=torch.ones(d), sa=attn(), ln1=torch.ones(d), ca=attn(), ln2=torch.ones(d), ff=ff())
                    for _ in range(c["layers"])]
        self.enc_bias = torch.randn(BUCKETS, c["heads"], generator=g)
        self.dec_bias = torch.randn(BUCKETS, c["heads"], generator=g)
        self.enc_ln = torch.ones(d)
        self.dec_ln = torch.ones(d)

    @classmethod
    def from_state(cls, c, state, dtype=torch.float32):
        """A model with a checkpoint's weights: state maps HF T5 names to tensors; c as for __init__, plus
        dec_layers when the decoder's depth differs. (The fixtures' regeneration runs it in float64.)"""
        m = cls.__new__(cls)
        m.c = c
        t = lambda k: state[k].to(dtype)

        def attn(p):
            return dict(q=t(p + "q.weight"), k=t(p + "k.weight"), v=t(p + "v.weight"), o=t(p + "o.weight"))

        def ff(p):
            if c["gated"]:
                return dict(wi0=t(p + "wi_0.weight"), wi1=t(p + "wi_1.weight"), wo=t(p + "wo.weight"))
            return dict(wi=t(p + "wi.weight"), wo=t(p + "wo.weight"))

        m.shared = t("shared.weight")
        m.head = m.shared if c["tied"] else t("lm_head.weight")
        m.enc = [dict(ln0=t(f"encoder.block.{i}.layer.0.layer_norm.weight"), sa=attn(f"encoder.block.{i}.layer.0.SelfAttention."),
                      ln1=t(f"encoder.block.{i}.layer.1.layer_norm.weight"), ff=ff(f"encoder.block.{i}.layer.1.DenseReluDense."))
                 for i in range(c["layers"])]
        m.dec = [dict(ln0=t(f"decoder.block.{i}.layer.0.layer_norm.weight"), sa=attn(f"decoder.block.{i}.layer.0.SelfAttention."),
                      ln1=t(f"decoder.block.{i}.layer.1.layer_norm.weight"), ca=attn(f"decoder.block.{i}.layer.1.EncDecAttention."),
                      ln2=t(f"decoder.block.{i}.layer.2.layer_norm.weight"), ff=ff(f"decoder.block.{i}.layer.2.DenseReluDense."))
                 for i in range(c.get("dec_layers", c["layers"]))]
        m.enc_bias = t("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
        m.dec_bias = t("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
        m.enc_ln = t("encoder.final_layer_norm.weight")
        m.dec_ln = t("decoder.final_layer_norm.weight")
        return m

    def norm(self, x, w):
        return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c.get("eps", 1e-6))

    def heads(self, w, x):
        return (x @ w.T).view(x.shape[0], -1, self.c["heads"], self.c["dkv"]).transpose(1, 2)

    def attention(self, a, x, k, v, bias, mask):
        b, lq, _ = x.shape
        q = self.heads(a["q"], x)
        s = q @ k.transpose(-1, -2)
        if bias is not None:
            s = s + bias
        if mask is not None:
            s = s + mask
        p = torch.softmax(s, -1)
        return (p @ v).transpose(1, 2).reshape(b, lq, -1) @ a["o"].T

    def self_attention(self, a, x, bias, mask):
        return self.attention(a, x, self.heads(a["k"], x), self.heads(a["v"], x), bias, mask)

    def ffn(self, f, x):
        if self.c["gated"]:
            return (F.gelu(x @ f["wi0"].T, approximate="tanh") * (x @ f["wi1"].T)) @ f["wo"].T
        return torch.relu(x @ f["wi"].T) @ f["wo"].T

    def position_bias(self, table, lq, lk, bidirectional, offset=0):
        rel = torch.arange(lk)[None, :] - (torch.arange(lq)[:, None] + offset)
        return table[self.buckets(rel, bidirectional)].permute(2, 0, 1)[None]

    def buckets(self, rel, bidirectional):
        return bucket(rel, bidirectional, self.c.get("buckets", BUCKETS), self.c.get("max_dist", MAX_DIST))

    def encode(self, x, mask):
        le = x.shape[1]
        bias = self.position_bias(self.enc_bias, le, le, True)
        add = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
        for blk in self.enc:
            x = x + self.self_attention(blk["sa"], self.norm(x, blk["ln0"]), bias, add)
            x = x + self.ffn(blk["ff"], self.norm(x, blk["ln1"]))
        return self.norm(x, self.enc_ln)

    def decode(self, y, h, mask):
        t = y.shape[1]
        bias = self.position_bias(self.dec_bias, t, t, False)
        causal = torch.triu(torch.full((t, t), torch.finfo(torch.float32).min), 1)
        add = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
        for blk in self.dec:
            y = y + self.self_attention(blk["sa"], self.norm(y, blk["ln0"]), bias, causal)
            n = self.norm(y, blk["ln1"])
            y = y + self.attention(blk["ca"], n, self.heads(blk["ca"]["k"], h), self.heads(blk["ca"]["v"], h), None, add)
            y = y + self.ffn(blk["ff"], self.norm(y, blk["ln2"]))
        y = self.norm(y, self.dec_ln)
        if self.c["tied"]:
            y = y * self.c["d"] ** -0.5
        return y @ self.head.T


STATE = {}


@torch.no_grad()
def adafactor_update(p, g, lr=0.3, decay=0.8, eps1=1e-30, clip=1.0, wd=1e-5):
    """The update t5pt's step applies (Adafactor as the paper ran it), so both sides time the same work."""
    t = STATE.get("t", 0) + 1
    STATE["t"] = t
    beta2 = 1 - t ** -decay
    g2 = g * g + eps1
    r = STATE.get("r", torch.zeros(g.shape[0])) * beta2 + (1 - beta2) * g2.mean(1)
    c = STATE.get("c", torch.zeros(g.shape[1])) * beta2 + (1 - beta2) * g2.mean(0)
    STATE["r"], STATE["c"] = r, c
    u = g / torch.sqrt((r / r.mean())[:, None] * c[None, :])
    u = u / max(1.0, (u.pow(2).mean().sqrt() / clip).item())
    p.sub_(lr * u + wd * p)


def main():
    workload, shape = sys.argv[1], sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    torch.set_num_threads(2)
    torch.manual_seed(0)
    c = SHAPES[shape]
    m = T5(c)
    ids = torch.randint(3, 32000, (B, L))
    labels = torch.randint(3, 32000, (B, T))
    prompt = (torch.rand(P, c["d"]) - 0.5).requires_grad_(True)

    def step():
        x = torch.cat([prompt.expand(B, -1, -1), m.shared[ids]], 1)
        mask = torch.ones(B, P + L)
        h = m.encode(x, mask)
        dec_in = torch.cat([torch.zeros(B, 1, dtype=torch.long), labels[:, :-1]], 1)
        logits = m.decode(m.shared[dec_in], h, mask)
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), labels.reshape(-1))
        prompt.grad = None
        loss.backward()
        adafactor_update(prompt, prompt.grad)
        return loss.item()

    def encoder():
        with torch.no_grad():
            x = torch.cat([prompt.expand(B, -1, -1), m.shared[ids]], 1)
            return m.encode(x, torch.ones(B, P + L))

    tokens = 32

    def decode():
        with torch.no_grad():
            one = ids[:1]
            mask = torch.ones(1, L)
            h = m.encode(m.shared[one], mask)
            add = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
            cross = [(m.heads(blk["ca"]["k"], h), m.heads(blk["ca"]["v"], h)) for blk in m.dec]
            cache = [None] * len(m.dec)
            tok = torch.zeros(1, 1, dtype=torch.long)
            for t in range(tokens):
                y = m.shared[tok]
                bias = m.position_bias(m.dec_bias, 1, t + 1, False, offset=t)
                for i, blk in enumerate(m.dec):
                    n = m.norm(y, blk["ln0"])
                    k, v = m.heads(blk["sa"]["k"], n), m.heads(blk["sa"]["v"], n)
                    if cache[i] is not None:
                        k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
                    cache[i] = (k, v)
                    y = y + m.attention(blk["sa"], n, k, v, bias, None)
                    y = y + m.attention(blk["ca"], m.norm(y, blk["ln1"]), cross[i][0], cross[i][1], None, add)
                    y = y + m.ffn(blk["ff"], m.norm(y, blk["ln2"]))
                y = m.norm(y, m.dec_ln)
                if c["tied"]:
                    y = y * c["d"] ** -0.5
                tok = (y @ m.head.T).argmax(-1)

    run = dict(step=step, encoder=encoder, decode=decode)[workload]
    run()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    out = dict(impl="pytorch " + torch.__version__, workload=workload, shape=shape, reps=reps,
               median_ms=statistics.median(times), min_ms=min(times), max_ms=max(times),
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
               openblas_coretype=os.environ.get("OPENBLAS_CORETYPE", "auto"))
    if workload == "decode":
        out["ms_per_token"] = out["median_ms"] / tokens
        out["tokens"] = tokens
    print(json.dumps(out))


if __name__ == "__main__":
    main()
