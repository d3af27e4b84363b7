#!/usr/bin/env python3
"""One cfspd `calibrate` (what bench/calibration/profile records): load the GGUF with the given
weight precision, calibrate N windows of S tokens drawn from the text (the daemon's own draw,
seed 0, no Gram matrices), print the daemon's tokens/s. Talks to cfspd through the project's
Python client (clients/python, used from the checkout). Usage: MODEL TEXT CFSPD [bf16|f32] [N] [S]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from cfsp import Client  # noqa: E402

model, text, cfspd = sys.argv[1:4]
precision = sys.argv[4] if len(sys.argv) > 4 else "bf16"
count = int(sys.argv[5]) if len(sys.argv) > 5 else 8
size = int(sys.argv[6]) if len(sys.argv) > 6 else 1024
with Client.spawn(cfspd, args=["--threads", "2", "--log-level", "warning"]) as client:
    loaded = client.load_model(model, precision=precision, progress=False)
    result = client.calibrate(loaded, path=text, count=count, window_size=size, gram=False, progress=False)
    print(f"calibrate {precision} {count}x{size}: {result.tokens_per_second:.1f} tokens/s")
