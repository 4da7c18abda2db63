#!/usr/bin/env bash
# t5pt, PyTorch and ONNX Runtime Java on the same workloads in one run, then a ratio table (t5pt's time over each
# peer's). ONNX Runtime runs the encoder and greedy decoding (inference only) on graphs exported from the
# benchmarks' PyTorch T5 (benchmarks/python/export_onnx.py, into benchmarks/target/onnx/SHAPE on first use).
# Needs Debian's python3-torch and libopenblas0-pthread (apt-get install python3-torch libopenblas0-pthread) and
# the benchmarks jar (mvn -B -DskipTests install; ONNX Runtime comes from Maven Central with it).
# Usage: benchmarks/side_by_side.sh [REPS]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS="${1:-5}"
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2
out=$(mktemp)
run() { # workload shape
  # the JIT needs a few rounds before the timed ones (torch's script warms up once)
  # decoding also with int8 weights (issue 21's target: int8 decode at most half of ONNX Runtime's time)
  local weights=f32
  [ "$1" = decode ] && weights=f32,int8
  ./t5pt bench "$1" --shape "$2" --weights "$weights" --reps "$REPS" --warmup 3 --json | sed 's/^/t5pt /' >> "$out"
  # PyTorch's GEMMs are OpenBLAS too (Debian's): both sides run the same OpenBLAS kernels, the ones the
  # launcher chose for t5pt (see ./t5pt; "auto" = OpenBLAS's own detection)
  local core
  core=$(tail -n 1 "$out" | sed -n 's/.*"openblas_coretype": "\([^"]*\)".*/\1/p')
  if [ "${core:-auto}" = auto ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE="$core"; fi
  # an untimed PyTorch process first: on the VM these numbers come from, the first process started after
  # the JVM exits ran up to 2.5x slower for its whole life (torch encoder 1.6-1.8 s instead of 0.6-0.8 s),
  # which is the machine, not PyTorch
  /usr/bin/python3 benchmarks/python/t5_torch_bench.py "$1" "$2" 1 > /dev/null
  /usr/bin/python3 benchmarks/python/t5_torch_bench.py "$1" "$2" "$REPS" | sed 's/^/torch /' >> "$out"
  if [ "$1" != step ]; then
    local onnx="benchmarks/target/onnx/$2"
    if [ ! -f "$onnx/decoder_step.onnx" ] || ! compgen -G "$onnx/matmul_*.onnx" > /dev/null; then
      /usr/bin/python3 benchmarks/python/export_onnx.py "$2" "$onnx" >&2
    fi
    java -cp benchmarks/target/benchmarks.jar dev.t5pt.bench.OrtBench "$1" "$onnx" "$2" "$REPS" | sed 's/^/ort /' >> "$out"
    if [ "$1" = encoder ]; then
      # the encoder's projection GEMMs alone, ONNX Runtime's MLAS against t5pt's (oneDNN's brgemm where the CPU
      # has it) and ND4J's OpenBLAS, in turns
      OPENBLAS_THREAD_TIMEOUT=16 java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.t5pt.bench.OrtBench gemm "$onnx" "$2" "$REPS" \
        | sed 's/^/gemm /' >> "$out"
    fi
  fi
}
run step t5-small
run encoder t5-small
run decode t5-small
run step t5-base-lm-adapt
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows, gemms = {}, []
for line in open(sys.argv[1]):
    impl, js = line.split(" ", 1)
    r = json.loads(js)
    if impl == "gemm":
        gemms.append(r)
        continue
    # t5pt gives a row per weight format; the peers' rows are float32
    rows[(r["workload"], r["shape"], impl, r.get("weights", "f32"))] = r
cores = {r["openblas_coretype"] for r in rows.values() if "openblas_coretype" in r}  # t5pt's and PyTorch's
print("OpenBLAS kernels (OPENBLAS_CORETYPE):", ", ".join(sorted(cores)))
print("machine:", ", ".join(sorted({r["cpu"] for r in rows.values() if "cpu" in r})))
print(f"{'workload':<10} {'shape':<18} {'weights':<7} {'t5pt':>12} {'PyTorch':>12} {'ratio':>7} {'ORT Java':>12} {'ratio':>7}   peak RSS t5pt / PyTorch / ORT")
for (w, s, impl, fmt), r in sorted(rows.items()):
    if impl != "t5pt":
        continue
    p = rows[(w, s, "torch", "f32")]
    o = rows.get((w, s, "ort", "f32"))
    key = "ms_per_token" if w == "decode" else "median_ms"
    unit = " ms/tok" if w == "decode" else " ms"
    ort = f"{o[key]:>9.1f}{unit:<3} {r[key] / o[key]:>7.2f}" if o else f"{'':>12} {'':>7}"
    print(f"{w:<10} {s:<18} {fmt:<7} {r[key]:>9.1f}{unit:<3} {p[key]:>9.1f}{unit:<3} {r[key] / p[key]:>7.2f} {ort}   "
          f"{r['peak_rss_mb']} / {p['peak_rss_mb']}" + (f" / {o['peak_rss_mb']}" if o else "") + " MB")
if gemms:
    print("encoder projection GEMMs alone, x [rows, K]·Wᵀ, W [N, K], GFLOP/s:")
    by_shape = {}
    for r in gemms:
        impl = "ort" if r["impl"].startswith("onnxruntime") else "t5pt" if r["impl"].startswith("t5pt") else "nd4j"
        by_shape.setdefault((r["m"], r["k"], r["n"]), {})[impl] = r
    for (m, k, n), rs in sorted(by_shape.items()):
        print(f"  [{m}, {k}]·[{n}, {k}]ᵀ  ONNX Runtime (MLAS) {rs['ort']['gflops']:6.1f}   "
              f"t5pt ({rs['t5pt']['impl'].split('gemm ')[-1].rstrip(')')}) {rs['t5pt']['gflops']:6.1f}   "
              f"ND4J (OpenBLAS) {rs['nd4j']['gflops']:6.1f}")
PY
rm -f "$out"
