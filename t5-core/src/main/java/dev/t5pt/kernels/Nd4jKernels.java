package dev.t5pt.kernels;

import dev.t5pt.weights.Frozen;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference kernels: plain compositions of ND4J ops, valid on every backend (CPU, CUDA). They
 * allocate temporaries; {@link VectorKernels} is the allocation-free CPU path tested against these.
 */
public final class Nd4jKernels implements Kernels {
    /** The score a hidden key gets: exp(MASKED − max) = 0 for any visible score. */
    static final float MASKED = -1e9f;

    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public void batchedMatmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, boolean add) {
        long reps = c.size(0) / b.size(0);
        INDArray full = reps == 1 ? b : Nd4j.tile(b, (int) reps, 1, 1); // b[i mod nb] for every i
        if (add) {
            c.addi(Nd4j.matmul(a, full, transA, transB, false));
        } else {
            Nd4j.matmul(a, full, c, transA, transB, false);
        }
    }

    @Override
    public void matVec(INDArray x, INDArray w, INDArray y) {
        Nd4j.matmul(x, w, y, false, true, false);
    }

    @Override
    public void rmsNorm(INDArray x, INDArray w, float eps, INDArray out) {
        // ms[n] = mean(x[n]²): [N, 1]
        INDArray ms = x.mul(x).mean(true, 1);
        INDArray inv = Transforms.pow(ms.addi(eps), -0.5, false);
        out.assign(x.mulColumnVector(inv).muliRowVector(w));
    }

    @Override
    public void rmsNormBackward(INDArray x, INDArray w, float eps, INDArray dOut, INDArray dx, boolean accumulate) {
        long d = x.size(1);
        INDArray r = Transforms.pow(x.mul(x).mean(true, 1).addi(eps), -0.5, false); // [N, 1]
        INDArray g = dOut.mulRowVector(w);                                          // [N, D]
        INDArray gx = g.mul(x).sum(true, 1).divi(d);                                // mean(g ⊙ x): [N, 1]
        INDArray r3 = Transforms.pow(r, 3, true);
        INDArray grad = g.mulColumnVector(r).subi(x.mulColumnVector(r3.muli(gx)));
        if (accumulate) {
            dx.addi(grad);
        } else {
            dx.assign(grad);
        }
    }

    @Override
    public void softmax(INDArray scores, INDArray bias, AttentionMask mask, int heads) {
        long bh = scores.size(0);
        long lq = scores.size(1);
        long lk = scores.size(2);
        long batch = bh / heads;
        INDArray s4 = scores.reshape('c', batch, heads, lq, lk);
        if (bias != null) {
            s4.addi(bias.reshape('c', 1, heads, lq, lk).broadcast(batch, heads, lq, lk));
        }
        if (mask instanceof AttentionMask.KeyPadding p) {
            // keep[b, j] = 1 for a real key, 0 for padding: [B, 1, 1, Lk]
            float[] keep = new float[p.additive().length];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = p.additive()[i] == 0f ? 1f : 0f;
            }
            hide(s4, Nd4j.create(keep, new long[]{batch, 1, 1, lk}, 'c').castTo(scores.dataType()));
        } else if (mask instanceof AttentionMask.Causal c) {
            float[] keep = new float[(int) (lq * lk)];
            for (int i = 0; i < lq; i++) {
                for (int j = 0; j < lk; j++) {
                    keep[(int) (i * lk + j)] = j <= i + c.queryOffset() ? 1f : 0f;
                }
            }
            hide(s4, Nd4j.create(keep, new long[]{1, 1, lq, lk}, 'c').castTo(scores.dataType()));
        }
        Nd4j.exec(new SoftMax(scores, scores, 2));
    }

    /**
     * s = keep ? s : MASKED (keep broadcast to s). Masked scores become one constant, so a row with no
     * visible key is uniform, as HF's finfo.min mask makes it (libnd4j's softmax turns rows of −FLT_MAX
     * into NaN, so a finite constant is used).
     */
    private static void hide(INDArray s4, INDArray keep) {
        long[] shape = s4.shape();
        INDArray k = keep.broadcast(shape);
        s4.muli(k).addi(k.rsub(1.0).muli(MASKED));
    }

    @Override
    public void softmaxBackward(INDArray probs, INDArray dProbs) {
        INDArray dot = probs.mul(dProbs).sum(true, 2);                       // [B·H, Lq, 1]
        dProbs.subi(dot.broadcast(dProbs.shape())).muli(probs);
    }

    @Override
    public void dropout(INDArray x, float rate, long seed, long offset) {
        float scale = 1f / (1f - rate);
        float[] mask = new float[(int) x.length()];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = dev.t5pt.model.Dropout.keep(seed, i + offset, rate) ? scale : 0f;
        }
        x.muli(Nd4j.create(mask, x.shape(), 'c').castTo(x.dataType()));
    }

    @Override
    public void add(INDArray x, INDArray y, INDArray out) {
        x.add(y, out);
    }

    @Override
    public void relu(INDArray x) {
        Transforms.relu(x, false);
    }

    @Override
    public void reluBackward(INDArray y, INDArray dy) {
        dy.muli(y.gt(0).castTo(dy.dataType()));
    }

    @Override
    public void geluGate(INDArray gate, INDArray linear, INDArray out) {
        // gelu_new(g) = 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³)))
        INDArray inner = Transforms.pow(gate, 3, true).muli(0.044715).addi(gate).muli(Math.sqrt(2 / Math.PI));
        INDArray act = Transforms.tanh(inner, false).addi(1.0).muli(gate).muli(0.5);
        out.assign(act.muli(linear));
    }

    @Override
    public void geluGateBackward(INDArray gate, INDArray linear, INDArray dOut, INDArray dGate, INDArray dLinear) {
        double c = Math.sqrt(2 / Math.PI);
        INDArray g2 = gate.mul(gate);
        INDArray t = Transforms.tanh(g2.mul(0.044715).addi(1.0).muli(gate).muli(c), true);    // tanh(u)
        INDArray act = t.add(1.0).muli(gate).muli(0.5);                                      // gelu_new(g)
        // gelu'(g) = ½(1 + t) + ½·g·(1 − t²)·c·(1 + 3·0.044715·g²)
        INDArray du = g2.muli(3 * 0.044715).addi(1.0).muli(c);
        INDArray deriv = t.mul(t).rsubi(1.0).muli(gate).muli(du).muli(0.5).addi(t.add(1.0).muli(0.5));
        dGate.assign(dOut.mul(linear).muli(deriv));
        dLinear.assign(dOut.mul(act));
    }

    @Override
    public void splitHeads(INDArray src, int col, INDArray dst, int batch, int pos) {
        long rows = src.size(0);
        long len = rows / batch;
        long heads = dst.size(0) / batch;
        long k = dst.size(2);
        INDArray cols = src.size(1) == heads * k ? src
                : src.get(NDArrayIndex.all(), NDArrayIndex.interval(col, col + heads * k)).dup('c');
        INDArray from = cols.reshape('c', batch, len, heads, k).permute(0, 2, 1, 3);
        INDArray to = dst.reshape('c', batch, heads, dst.size(1), k)
                .get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pos, pos + len), NDArrayIndex.all());
        to.assign(from);
    }

    @Override
    public void mergeHeads(INDArray src, INDArray dst, int col, int batch) {
        long heads = src.size(0) / batch;
        long len = src.size(1);
        long k = src.size(2);
        INDArray merged = src.reshape('c', batch, heads, len, k).permute(0, 2, 1, 3).dup('c').reshape('c', batch * len, heads * k);
        if (dst.size(1) == heads * k) {
            dst.assign(merged);
        } else {
            dst.get(NDArrayIndex.all(), NDArrayIndex.interval(col, col + heads * k)).assign(merged);
        }
    }

    @Override
    public void gatherRows(INDArray table, int[] ids, INDArray dst, long dstRow) {
        for (int i = 0; i < ids.length; i++) {
            dst.getRow(dstRow + i).assign(table.getRow(ids[i]));
        }
    }

    @Override
    public void matVecCompact(INDArray x, Frozen w, INDArray y) {
        INDArray full = Nd4j.createUninitialized(org.nd4j.linalg.api.buffer.DataType.FLOAT, w.rows(), w.cols());
        upcast(w, 0, w.rows(), full, 0);
        Nd4j.matmul(x, full, y, false, true, false);
    }

    /** The compact forms widened one value at a time (bfloat16) or by ND4J's cast BYTE → FLOAT times the row scales plus the exact values (int8). */
    @Override
    public void upcast(Frozen w, int from, int to, INDArray dst, long dstRow) {
        INDArray rows;
        if (w instanceof Frozen.F32 f) {
            rows = f.rows(from, to).array();
        } else if (w instanceof Frozen.Bf16 b) {   // (ND4J's BFLOAT16 buffers cannot be made from bytes: widened here)
            float[] v = new float[(to - from) * w.cols()];
            for (int i = 0; i < v.length; i++) {
                v[i] = dev.t5pt.io.HalfFloats.bf16ToFloat(b.bits().getShort(2 * (from * w.cols() + i)));
            }
            rows = Nd4j.createFromArray(v).reshape(to - from, w.cols());
        } else {
            Frozen.Int8 q = (Frozen.Int8) w;
            float[] scales = new float[to - from];
            for (int o = from; o < to; o++) {
                scales[o - from] = q.scale(o);
            }
            byte[] values = new byte[(to - from) * w.cols()];
            for (int o = from; o < to; o++) {
                q.row(o, values, (o - from) * w.cols());
            }
            rows = Nd4j.createFromArray(values).reshape(to - from, w.cols()).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).muliColumnVector(Nd4j.createFromArray(scales).reshape(to - from, 1));
            for (int o = from; o < to; o++) {          // the exact values, where q is 0
                for (int k = 0; k < q.exactPerRow(); k++) {
                    int e = q.exact(o, k);
                    int col = q.exactCol()[e];
                    rows.putScalar(o - from, col, rows.getFloat(o - from, col) + q.exactValue()[e]);
                }
            }
        }
        dst.get(NDArrayIndex.interval(dstRow, dstRow + (to - from)), NDArrayIndex.all()).assign(rows);
    }

    @Override
    public void copyRows(INDArray src, INDArray dst, long dstRow) {
        INDArrayIndex rows = NDArrayIndex.interval(dstRow, dstRow + src.size(0));
        dst.get(rows, NDArrayIndex.all()).assign(src);
    }

    @Override
    public void argmaxRows(INDArray x, int[] out) {
        int[] ids = Nd4j.argMax(x, 1).toIntVector();
        System.arraycopy(ids, 0, out, 0, ids.length);
    }

    @Override
    public double crossEntropySum(INDArray logits, int[] labels, int ignore) {
        INDArray max = logits.max(true, 1);
        INDArray lse = Transforms.log(Transforms.exp(logits.subColumnVector(max), false).sum(true, 1), false).addi(max);
        double sum = 0;
        for (int n = 0; n < labels.length; n++) {
            if (labels[n] != ignore) {
                sum += lse.getDouble(n, 0) - logits.getDouble(n, labels[n]);
            }
        }
        return sum;
    }

    @Override
    public void crossEntropyBackward(INDArray logits, int[] labels, int ignore, double scale, INDArray dLogits) {
        INDArray max = logits.max(true, 1);
        INDArray e = Transforms.exp(logits.subColumnVector(max), false);
        INDArray p = e.diviColumnVector(e.sum(true, 1));
        for (int n = 0; n < labels.length; n++) {
            if (labels[n] == ignore) {
                p.getRow(n).assign(0);
            } else {
                p.putScalar(n, labels[n], p.getDouble(n, labels[n]) - 1);
            }
        }
        dLogits.assign(p.muli(scale));
    }
}
