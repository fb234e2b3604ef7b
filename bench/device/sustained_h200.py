#!/usr/bin/env python3
"""Does the H200 hold its short-burst rate under sustained load? Back-to-back BF16 GEMMs
(8192^3) for 90 s, then Llama 3.2 1B training steps for 60 s, with the achieved rate,
SM clock, power draw and temperature read every 5 s. Writes $OUT/h200_sustained.json."""
import json
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_h200 as mh  # noqa: E402

OUT = os.environ.get("OUT", "/tmp/h200_out")
RES = {"gemm": [], "train": []}


def smi():
    q = "clocks.sm,power.draw,temperature.gpu,clocks_throttle_reasons.active"
    r = subprocess.run(["nvidia-smi", f"--query-gpu={q}", "--format=csv,noheader,nounits"],
                       capture_output=True, text=True, timeout=10).stdout.strip()
    return r


def save():
    with open(os.path.join(OUT, "h200_sustained.json"), "w") as f:
        json.dump(RES, f, indent=1)


def windows(name, fn, work, seconds, window=5.0):
    t_end = time.time() + seconds
    while time.time() < t_end:
        torch.cuda.synchronize()
        t0, n = time.time(), 0
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        while time.time() - t0 < window:
            fn()
            n += 1
            if n % 8 == 0:
                torch.cuda.synchronize()
        e.record()
        e.synchronize()
        dt = s.elapsed_time(e) / 1e3
        row = {"t": round(time.time() - mh.T0, 1), "rate": work * n / dt, "calls": n, "smi": smi()}
        RES[name].append(row)
        mh.log(name, row)
        save()


if __name__ == "__main__":
    a, b = mh.rnd(8192, 8192), mh.rnd(8192, 8192)
    mh.log("idle", smi())
    windows("gemm", lambda: torch.mm(a, b), 2 * 8192**3 / 1e12, 90)
    del a, b
    torch.cuda.empty_cache()
    c = mh.SHAPES["llama3.2-1b"]
    with torch.device("cuda"):
        model = mh.Llama(**c).to(torch.bfloat16)
    params = list(model.parameters())
    master = [p.detach().float().clone().requires_grad_() for p in params]
    opt = torch.optim.AdamW(master, lr=1e-5, fused=True)
    tokens = torch.randint(0, c["vocab"], (8, 2049), device="cuda")

    def step():
        logits = model(tokens[:, :-1])
        F.cross_entropy(logits.flatten(0, 1).float(), tokens[:, 1:].flatten()).backward()
        for m, p in zip(master, params):
            m.grad = p.grad.float()
            p.grad = None
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            for p, m in zip(params, master):
                p.copy_(m)
    windows("train", step, 8 * 2048, 60)  # rate = tokens/s
    mh.log("done")
