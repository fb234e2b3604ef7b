#!/usr/bin/env python3
"""Two questions the estimator's residuals raise, on one H200 (about 3 minutes):

1. MoE glue: what token permutation and un-permutation cost per routed element,
   unfused (eager PyTorch index ops, as torchtitan writes them) and fused
   (the same functions through torch.compile, standing in for Megatron's
   fused permute kernels), forward and forward + backward, for Qwen3-30B-A3B's
   shape (hidden 2048, 128 experts, top-8) and DeepSeek-V3's (hidden 7168, 256
   experts, top-8). Reported as milliseconds and as bytes moved per routed
   hidden element at the measured streaming bandwidth.
2. Decode GEMMs: the bandwidth BF16 weight GEMMs reach at decode batch sizes
   (M = 1…256 rows against Llama-shaped weights), inside a CUDA graph (no
   launch cost) and launched one by one; and the per-kernel cost inside a
   CUDA graph.

Writes $OUT/h200_glue_decode.json after each part."""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_h200 as mh  # noqa: E402

OUT = os.environ.get("OUT", "/tmp/h200_out")
RES = {"meta": {}, "stream": {}, "glue": [], "decode_gemm": [], "graph_kernel": {}, "errors": []}
K = 8


def save():
    with open(os.path.join(OUT, "h200_glue_decode.json"), "w") as f:
        json.dump(RES, f, indent=1)


def stream_bw():
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    t = mh.median_time(lambda: y.copy_(x))
    return 2 * x.numel() / t  # bytes read + written per second


# ---- 1. MoE glue ----------------------------------------------------------------


def permute(x, idx):
    """Tokens in expert order: one gather of T*K rows."""
    order = torch.argsort(idx.flatten(), stable=True)
    return x.index_select(0, order // K), order


def unpermute(ys, order, w):
    """Back to token order, weighted sum of each token's K copies."""
    t = w.shape[0]
    out = torch.empty(t * K, ys.shape[1], device=ys.device, dtype=ys.dtype)
    out.index_copy_(0, order, ys)
    return (out.view(t, K, -1) * w.unsqueeze(-1)).sum(1)


def unpermute_scatter_add(ys, order, w):
    """torch index_add_ into token rows (atomics), the other common way."""
    t = w.shape[0]
    wf = w.flatten()[order].unsqueeze(-1)
    out = torch.zeros(t, ys.shape[1], device=ys.device, dtype=ys.dtype)
    return out.index_add_(0, order // K, ys * wf)


def glue_case(h, experts, tokens, variant, permute_fn, unpermute_fn, bw):
    torch.manual_seed(0)
    x = mh.rnd(tokens, h).requires_grad_()
    logits = torch.randn(tokens, experts, device="cuda")
    w, idx = torch.topk(logits.softmax(-1), K, dim=-1)
    w = (w / w.sum(-1, keepdim=True)).to(torch.bfloat16).requires_grad_()
    routed = tokens * K * h
    row = {"hidden": h, "experts": experts, "tokens": tokens, "variant": variant}
    with torch.no_grad():
        xs, order = permute_fn(x, idx)
        row["permute_fwd_ms"] = mh.median_time(lambda: permute_fn(x, idx)) * 1e3
        row["unpermute_fwd_ms"] = mh.median_time(lambda: unpermute_fn(xs, order, w)) * 1e3
    ys = xs.detach().clone().requires_grad_()
    g = torch.randn(tokens, h, device="cuda", dtype=torch.bfloat16)

    def fb():
        xs2, order2 = permute_fn(x, idx)
        out = unpermute_fn(xs2 * 1.0 + ys, order2, w)
        torch.autograd.grad(out, (x, w, ys), g)

    # fb includes one extra elementwise add (xs2 * 1.0 + ys) to give both
    # halves a gradient path; its cost is measured alone and taken out.
    add_ms = mh.median_time(lambda: xs * 1.0 + ys) * 1e3 * 3  # fwd + its backward
    row["glue_fwd_bwd_ms"] = mh.median_time(fb, warmup=3, reps=7) * 1e3 - add_ms
    fwd = row["permute_fwd_ms"] + row["unpermute_fwd_ms"]
    row["bytes_per_routed_element_fwd"] = fwd / 1e3 * bw / routed
    row["bytes_per_routed_element_fwd_bwd"] = row["glue_fwd_bwd_ms"] / 1e3 * bw / routed
    return row


def glue(bw):
    permute_c = torch.compile(permute, dynamic=False)
    unpermute_c = torch.compile(unpermute, dynamic=False)
    variants = [("eager-index-copy", permute, unpermute),
                ("eager-index-add", permute, unpermute_scatter_add),
                ("compiled", permute_c, unpermute_c)]
    for h, experts, tokens in [(2048, 128, 4096), (2048, 128, 16384), (7168, 256, 4096)]:
        for name, p, u in variants:
            try:
                row = glue_case(h, experts, tokens, name, p, u, bw)
                RES["glue"].append(row)
                mh.log({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
            except Exception as ex:  # noqa: BLE001 - record and go on
                RES["errors"].append(f"glue {h} {tokens} {name}: {ex!r}"[:400])
                mh.log("FAILED", RES["errors"][-1])
            torch.cuda.empty_cache()
            save()


# ---- 2. decode GEMMs ----------------------------------------------------------------


def graph_time(fn, reps=20):
    """Seconds per call of fn captured `reps` times in one CUDA graph."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(reps):
            fn()
    return mh.median_time(graph.replay, warmup=2, reps=9) / reps


def decode_gemm():
    shapes = [("llama3-8b qkv", 4096, 6144), ("llama3-8b o", 4096, 4096),
              ("llama3-8b gate_up", 4096, 28672), ("llama3-8b down", 14336, 4096),
              ("llama3-70b tp8 gate_up", 8192, 7168), ("llama3-70b tp8 down", 3584, 8192)]
    for name, k, n in shapes:
        wt = mh.rnd(k, n)
        for m in (1, 8, 32, 64, 128, 256):
            a = mh.rnd(m, k)
            out = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)
            fn = lambda: torch.matmul(a, wt, out=out)  # noqa: E731
            row = {"shape": name, "m": m, "k": k, "n": n}
            try:
                row["graph_us"] = graph_time(fn) * 1e6
                row["eager_us"] = mh.median_time(fn, warmup=5, reps=21) * 1e6
                row["weight_gb_s_graph"] = k * n * 2 / (row["graph_us"] * 1e-6) / 1e9
                RES["decode_gemm"].append(row)
            except Exception as ex:  # noqa: BLE001
                RES["errors"].append(f"gemm {name} m {m}: {ex!r}"[:300])
        mh.log(name, [(r["m"], round(r["weight_gb_s_graph"]), round(r["graph_us"], 1))
                      for r in RES["decode_gemm"] if r["shape"] == name])
        save()
    # The cost of one tiny kernel inside a graph, and launched from Python.
    t = torch.zeros(1024, device="cuda")
    RES["graph_kernel"] = {"tiny_add_graph_us": graph_time(lambda: t.add_(1), reps=1000) * 1e6,
                           "tiny_add_eager_us": mh.median_time(lambda: [t.add_(1) for _ in range(100)]) / 100 * 1e6}
    mh.log(RES["graph_kernel"])
    save()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    RES["meta"] = {"torch": torch.__version__, "device": torch.cuda.get_device_name(),
                   "date": time.strftime("%Y-%m-%d")}
    bw = stream_bw()
    RES["stream"] = {"copy_bytes_per_s": bw}
    mh.log("stream copy", round(bw / 1e9), "GB/s")
    save()
    for part in (decode_gemm, lambda: glue(bw)):
        try:
            part()
        except Exception as ex:  # noqa: BLE001
            RES["errors"].append(repr(ex)[:400])
            mh.log("FAILED", RES["errors"][-1])
        save()
    mh.log("done")
