"""Encode throughput of python sentencepiece (C++) on the same English lines as TokenizerBenchmark.

Run: /usr/bin/python3 benchmarks/python/tokenizer_bench.py [spiece.model] [english.txt]
Prints one JSON object: lines, bytes, seconds per pass (median of 20 passes), MB/s.
"""
import json
import statistics
import sys
import time

import sentencepiece as spm

model = sys.argv[1] if len(sys.argv) > 1 else "t5-core/src/main/resources/dev/t5pt/tokenizer/spiece.model"
corpus = sys.argv[2] if len(sys.argv) > 2 else "benchmarks/src/main/resources/english.txt"
sp = spm.SentencePieceProcessor(model_file=model)
lines = [l for l in open(corpus, encoding="utf-8").read().split("\n") if l]
nbytes = sum(len(l.encode("utf-8")) for l in lines)
for _ in range(5):
    for l in lines:
        sp.encode(l)
times = []
for _ in range(20):
    t0 = time.perf_counter()
    for l in lines:
        sp.encode(l)
    times.append(time.perf_counter() - t0)
med = statistics.median(times)
print(json.dumps({"impl": "python sentencepiece " + spm.__version__, "lines": len(lines), "bytes": nbytes,
                  "ms_per_pass": med * 1e3, "mb_per_s": nbytes / med / 1e6}))
