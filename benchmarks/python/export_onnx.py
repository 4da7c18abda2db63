"""Exports the benchmarks' PyTorch T5 (t5_torch_bench.T5, the same random weights as the PyTorch side) to ONNX
for the ONNX Runtime side of benchmarks/side_by_side.sh, with torch.onnx (opset 14):

  encoder.onnx      embeds [B, Le, D] float, mask [B, Le] float            -> hidden [B, Le, D]
                    (the prompt-tuning encoder pass: prompt rows and token embeddings, as t5pt's bench feeds it)
  encoder_ids.onnx  input_ids [1, L] int64, mask [1, L] float              -> hidden, cross_k, cross_v
                    (greedy decoding's one encoder pass; cross_k/v [layers, 1, H, L, dkv]: every decoder layer's
                    cross-attention keys and values, computed once)
  decoder_step.onnx token [1, 1] int64, past_k/past_v [layers, 1, H, t, dkv], cross_k, cross_v, mask [1, L]
                    -> next [1, 1] int64 (the greedy pick), present_k/present_v [layers, 1, H, t+1, dkv]
                    (one token with a self-attention cache, as t5pt and the PyTorch side decode)
  matmul_KxN.onnx   x [rows, K] float -> x·Wᵀ [rows, N], W [N, K] a constant: the encoder's projection shapes
                    (K x N = D x H·dkv, H·dkv x D, D x d_ff, d_ff x D, and D x 3·H·dkv: t5pt's fused Q/K/V),
                    for OrtBench gemm: ONNX Runtime's MatMul beside ND4J's sgemm on the same shapes

Usage: /usr/bin/python3 benchmarks/python/export_onnx.py SHAPE OUT_DIR
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t5_torch_bench as tb  # noqa: E402


class Projection(torch.nn.Module):
    def __init__(self, k, n):
        super().__init__()
        self.w = torch.randn(n, k) / k ** 0.5

    def forward(self, x):
        return x @ self.w.T


class Encoder(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, embeds, mask):
        return self.m.encode(embeds, mask)


class EncoderIds(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, mask):
        m = self.m
        h = m.encode(m.shared[input_ids], mask)
        ks = torch.stack([m.heads(blk["ca"]["k"], h) for blk in m.dec])
        vs = torch.stack([m.heads(blk["ca"]["v"], h) for blk in m.dec])
        return h, ks, vs


class DecoderStep(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, token, past_k, past_v, cross_k, cross_v, mask):
        m, c = self.m, self.m.c
        t = past_k.shape[3]                                   # tokens decoded so far (dynamic)
        y = m.shared[token]
        rel = torch.arange(t + 1)[None, :] - t                # the new query at position t over keys 0..t
        bias = m.dec_bias[m.buckets(rel, False)].permute(2, 0, 1)[None]
        add = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
        ks, vs = [], []
        for i, blk in enumerate(m.dec):
            n = m.norm(y, blk["ln0"])
            k = torch.cat([past_k[i], m.heads(blk["sa"]["k"], n)], 2)
            v = torch.cat([past_v[i], m.heads(blk["sa"]["v"], n)], 2)
            ks.append(k)
            vs.append(v)
            y = y + m.attention(blk["sa"], n, k, v, bias, None)
            y = y + m.attention(blk["ca"], m.norm(y, blk["ln1"]), cross_k[i], cross_v[i], None, add)
            y = y + m.ffn(blk["ff"], m.norm(y, blk["ln2"]))
        y = m.norm(y, m.dec_ln)
        if c["tied"]:
            y = y * c["d"] ** -0.5
        return (y @ m.head.T).argmax(-1), torch.stack(ks), torch.stack(vs)


def main():
    shape, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    c = tb.SHAPES[shape]
    m = tb.T5(c)
    layers, heads, dkv, d = c["layers"], c["heads"], c["dkv"], c["d"]
    with torch.no_grad():
        torch.onnx.export(Encoder(m), (torch.randn(tb.B, tb.P + tb.L, d), torch.ones(tb.B, tb.P + tb.L)),
                          os.path.join(out, "encoder.onnx"), input_names=["embeds", "mask"], output_names=["hidden"],
                          dynamic_axes={"embeds": {0: "b", 1: "le"}, "mask": {0: "b", 1: "le"}}, opset_version=14)
        ids = torch.randint(3, 32000, (1, tb.L))
        torch.onnx.export(EncoderIds(m), (ids, torch.ones(1, tb.L)), os.path.join(out, "encoder_ids.onnx"),
                          input_names=["input_ids", "mask"], output_names=["hidden", "cross_k", "cross_v"],
                          dynamic_axes={"input_ids": {1: "l"}, "mask": {1: "l"}, "hidden": {1: "l"},
                                        "cross_k": {3: "l"}, "cross_v": {3: "l"}}, opset_version=14)
        past = torch.zeros(layers, 1, heads, 1, dkv)
        cross = torch.zeros(layers, 1, heads, tb.L, dkv)
        torch.onnx.export(DecoderStep(m), (torch.zeros(1, 1, dtype=torch.long), past, past, cross, cross,
                                           torch.ones(1, tb.L)),
                          os.path.join(out, "decoder_step.onnx"),
                          input_names=["token", "past_k", "past_v", "cross_k", "cross_v", "mask"],
                          output_names=["next", "present_k", "present_v"],
                          dynamic_axes={"past_k": {3: "t"}, "past_v": {3: "t"}, "present_k": {3: "t1"},
                                        "present_v": {3: "t1"}, "cross_k": {3: "l"}, "cross_v": {3: "l"},
                                        "mask": {1: "l"}}, opset_version=14)
        inner = heads * dkv
        for k, n in sorted({(d, inner), (d, 3 * inner), (d, c["dff"]), (c["dff"], d), (inner, d)}):
            torch.onnx.export(Projection(k, n), (torch.randn(tb.B * (tb.P + tb.L), k),),
                              os.path.join(out, f"matmul_{k}x{n}.onnx"), input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "rows"}, "y": {0: "rows"}}, opset_version=14)
    print(f"exported {shape} to {out}")


if __name__ == "__main__":
    main()
