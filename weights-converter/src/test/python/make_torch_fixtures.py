"""Writes the small PyTorch files the converter tests read (run once with Debian's python3-torch 1.13;
the outputs are committed under src/test/resources/torch-views, so the tests need no Python).

  views/pytorch_model.bin    a state dict exercising what real checkpoints do: names sharing one storage,
                             a non-contiguous (transposed) view, a view at a storage offset, F16 and BF16
  views/expected.safetensors the same tensors made contiguous, as plain float32 (the values to expect)
  legacy/pytorch_model.bin   the pre-1.6 serialization (_use_new_zipfile_serialization=False)
"""
import collections
import os
import sys

import torch
from safetensors_writer import write_f32

out = sys.argv[1]
torch.manual_seed(7)
base = torch.randn(6, 5)
big = torch.randn(40)
state = collections.OrderedDict()
state["shared.weight"] = base
state["encoder.embed_tokens.weight"] = base          # same storage
state["transposed"] = torch.randn(5, 6).t()          # stride (1, 6)
state["narrowed"] = big[7:7 + 12].view(3, 4)        # storage offset 7
state["half"] = torch.randn(2, 3).half()
state["bfloat"] = torch.randn(3, 2).bfloat16()
os.makedirs(f"{out}/views", exist_ok=True)
torch.save(state, f"{out}/views/pytorch_model.bin")
write_f32(f"{out}/views/expected.safetensors",
          {k: v for k, v in state.items() if k != "encoder.embed_tokens.weight"})
os.makedirs(f"{out}/legacy", exist_ok=True)
torch.save(collections.OrderedDict(w=torch.ones(2)), f"{out}/legacy/pytorch_model.bin",
           _use_new_zipfile_serialization=False)
