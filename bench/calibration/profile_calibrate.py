#!/usr/bin/env python3
"""One cfspd `calibrate` (what bench/calibration/profile records): load the GGUF with the given
weight precision, calibrate N windows of S tokens drawn from the text (the daemon's own draw,
seed 0, no Gram matrices), print the daemon's tokens/s. Usage: MODEL TEXT CFSPD [bf16|f32] [N] [S]"""
import json, subprocess, sys

model, text, cfspd = sys.argv[1:4]
precision = sys.argv[4] if len(sys.argv) > 4 else "bf16"
count = int(sys.argv[5]) if len(sys.argv) > 5 else 8
size = int(sys.argv[6]) if len(sys.argv) > 6 else 1024
p = subprocess.Popen([cfspd, "serve", "--framing", "ndjson", "--threads", "2", "--log-level", "warning"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
ident = 0


def call(method, params):
    global ident
    ident += 1
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}) + "\n")
    p.stdin.flush()
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == ident:
            if "error" in m:
                raise SystemExit(f"{method}: {m['error']}")
            return m["result"]


call("initialize", {"clientInfo": {"name": "bench/calibration/profile"}})
p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + "\n")
handle = call("model/load", {"path": model, "precision": precision})["model"]
result = call("calibrate", {"model": handle, "path": text, "count": count, "windowSize": size, "gram": False})
print(f"calibrate {precision} {count}x{size}: {result['tokensPerSecond']:.1f} tokens/s")
call("shutdown", {})
p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "exit"}) + "\n")
p.stdin.close()
p.wait(timeout=30)
