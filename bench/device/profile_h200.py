#!/usr/bin/env python3
"""Kernel-time breakdown of the measure_h200.py workloads (torch.profiler), to tell which
part of a step the estimator gets wrong: GEMMs, attention, element-wise or optimizer.
Writes $OUT/h200_profile.json (kernel name, calls, device seconds per case) and which
SDPA backend PyTorch picks by default for each attention shape."""
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_h200 as mh  # noqa: E402

OUT = os.environ.get("OUT", "/tmp/h200_out")
RES = {"sdpa_default": [], "profiles": {}}


def save():
    with open(os.path.join(OUT, "h200_profile.json"), "w") as f:
        json.dump(RES, f, indent=1)


def kernels(prof):
    rows = []
    for e in prof.key_averages():
        t = getattr(e, "self_device_time_total", None)
        if t is None:
            t = getattr(e, "self_cuda_time_total", 0)
        if t and t > 0:
            rows.append({"name": e.key[:160], "calls": e.count, "device_s": t / 1e6})
    rows.sort(key=lambda r: -r["device_s"])
    return rows


def sdpa_default():
    from torch.nn.attention import SDPBackend, sdpa_kernel
    for b, h, s, d in ((2, 32, 8192, 64), (8, 32, 2048, 64), (2, 24, 4096, 128), (1, 32, 8192, 128)):
        q, k, v = (mh.rnd(b, h, s, d).requires_grad_() for _ in range(3))
        row = {"shape": [b, h, s, d]}

        def fb():
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            o.sum().backward()
        row["default_s"] = mh.median_time(fb)
        for be in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION):
            try:
                with sdpa_kernel(be):
                    row[be.name + "_s"] = mh.median_time(fb)
            except Exception as ex:
                row[be.name + "_s"] = repr(ex)[:120]
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            fb()
            torch.cuda.synchronize()
        row["default_kernels"] = [r["name"] for r in kernels(prof)[:4]]
        RES["sdpa_default"].append(row)
        mh.log(row)
        save()


def profile_train(name, seq, mbs, compiled):
    c = mh.SHAPES[name]
    with torch.device("cuda"):
        model = mh.Llama(**c).to(torch.bfloat16)
    params = list(model.parameters())
    master = [p.detach().float().clone().requires_grad_() for p in params]
    opt = torch.optim.AdamW(master, lr=1e-5, fused=True)
    if compiled:
        torch._dynamo.config.cache_size_limit = 64
        model.block_fn = torch.compile(model._block)
    tokens = torch.randint(0, c["vocab"], (mbs, seq + 1), device="cuda")

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
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(2):
            step()
        torch.cuda.synchronize()
    ks = kernels(prof)
    for r in ks:
        r["device_s"] /= 2  # per step
    key = f"train-{name}-s{seq}-mb{mbs}-{'compiled' if compiled else 'eager'}"
    RES["profiles"][key] = {"kernels": ks, "kernel_s_per_step": sum(r["device_s"] for r in ks),
                            "step_s": mh.median_time(step, warmup=1, reps=5)}
    mh.log(key, RES["profiles"][key]["kernel_s_per_step"], RES["profiles"][key]["step_s"])
    del model, opt, master, params
    torch.cuda.empty_cache()
    save()


def profile_decode():
    c = mh.SHAPES["llama3-8b"]
    W = mh.decode_weights(c)
    hd = c["hidden"] // c["heads"]
    inv = 1.0 / (500000.0 ** (torch.arange(0, hd, 2, device="cuda").float() / hd))
    for b, ctx in ((1, 1024), (1, 4096), (64, 1024), (128, 4096)):
        ck = [mh.rnd(b, c["kv_heads"], ctx + 1, hd) for _ in range(c["layers"])]
        cv = [mh.rnd(b, c["kv_heads"], ctx + 1, hd) for _ in range(c["layers"])]
        fc = torch.polar(torch.ones(1, hd // 2, device="cuda"), (ctx * inv)[None, :])
        tok = torch.randint(0, c["vocab"], (b,), device="cuda")
        for _ in range(3):
            mh.decode_step(c, W, ck, cv, tok, ctx, fc)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(3):
                mh.decode_step(c, W, ck, cv, tok, ctx, fc)
            torch.cuda.synchronize()
        ks = kernels(prof)
        for r in ks:
            r["device_s"] /= 3
        key = f"decode-b{b}-ctx{ctx}"
        RES["profiles"][key] = {"kernels": ks, "kernel_s_per_step": sum(r["device_s"] for r in ks)}
        mh.log(key, RES["profiles"][key]["kernel_s_per_step"])
        del ck, cv
        torch.cuda.empty_cache()
        save()


if __name__ == "__main__":
    for fn, args in ((sdpa_default, ()), (profile_train, ("llama3.2-1b", 8192, 2, False)),
                     (profile_train, ("llama3.2-3b", 4096, 2, False)), (profile_decode, ()),
                     (profile_train, ("llama3.2-1b", 2048, 8, False)),
                     (profile_train, ("llama3.2-1b", 2048, 8, True))):
        try:
            fn(*args)
        except Exception as ex:
            RES.setdefault("errors", []).append(f"{fn.__name__}{args}: {ex!r}"[:500])
            mh.log("FAILED", fn.__name__, args, repr(ex)[:300])
            save()
    mh.log("done")
