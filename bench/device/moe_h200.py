#!/usr/bin/env python3
"""One fine-grained MoE layer (Qwen3-30B-A3B's: hidden 2048, 128 experts, top-8, expert FFN 768)
on one H200, timed stage by stage: router, permutation, expert GEMMs (grouped with
torch._grouped_mm, and as a loop of per-expert GEMMs), un-permutation; forward and forward +
backward. Tells whether the expert GEMMs or the glue around them cost what the estimator
charges. Writes $OUT/h200_moe.json."""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_h200 as mh  # noqa: E402

OUT = os.environ.get("OUT", "/tmp/h200_out")
RES = {"shape": {}, "rows": [], "errors": []}
H, E, K, FF = 2048, 128, 8, 768


def save():
    with open(os.path.join(OUT, "h200_moe.json"), "w") as f:
        json.dump(RES, f, indent=1)


def route(x, wr):
    logits = x @ wr
    w, idx = torch.topk(logits.float().softmax(-1), K, dim=-1)
    return (w / w.sum(-1, keepdim=True)).to(x.dtype), idx


def permute(x, idx):
    flat = idx.flatten()
    order = torch.argsort(flat, stable=True)
    counts = torch.bincount(flat, minlength=E)
    xs = x.index_select(0, order // K)
    return xs, order, counts


# Weights stored (experts, out, in) and passed transposed, as torchtitan's MoE does.
def experts_grouped(xs, counts, w13, w2):
    offs = torch.cumsum(counts, 0).to(torch.int32)
    gu = torch._grouped_mm(xs, w13.transpose(-2, -1), offs=offs)
    g, u = gu.chunk(2, dim=-1)
    return torch._grouped_mm(F.silu(g) * u, w2.transpose(-2, -1), offs=offs)


def experts_loop(xs, counts, w13, w2):
    outs, start = [], 0
    for e, c in enumerate(counts.tolist()):
        if c:
            gu = xs[start:start + c] @ w13[e].T
            g, u = gu.chunk(2, dim=-1)
            outs.append((F.silu(g) * u) @ w2[e].T)
        start += c
    return torch.cat(outs)


def unpermute(ys, order, w, t):
    out = torch.zeros(t * K, H, device=ys.device, dtype=ys.dtype)
    out.index_copy_(0, order, ys)
    return (out.view(t, K, H) * w.unsqueeze(-1)).sum(1)


def layer(x, wr, w13, w2, grouped):
    w, idx = route(x, wr)
    xs, order, counts = permute(x, idx)
    ys = (experts_grouped if grouped else experts_loop)(xs, counts, w13, w2)
    return unpermute(ys, order, w, x.shape[0])


def case(tokens, grouped):
    torch.manual_seed(0)
    x = mh.rnd(tokens, H).requires_grad_()
    wr = mh.rnd(H, E).requires_grad_()
    w13 = mh.rnd(E, 2 * FF, H).requires_grad_()
    w2 = mh.rnd(E, H, FF).requires_grad_()
    name = "grouped_mm" if grouped else "loop"
    row = {"tokens": tokens, "experts_path": name}
    w, idx = route(x, wr)
    xs, order, counts = permute(x, idx)
    row["tokens_per_expert_max_over_mean"] = float(counts.max()) / (tokens * K / E)
    with torch.no_grad():
        row["router_s"] = mh.median_time(lambda: route(x, wr))
        row["permute_s"] = mh.median_time(lambda: permute(x, idx))
        f = experts_grouped if grouped else experts_loop
        row["experts_fwd_s"] = mh.median_time(lambda: f(xs, counts, w13, w2))
        ys = f(xs, counts, w13, w2)
        row["unpermute_s"] = mh.median_time(lambda: unpermute(ys, order, w, tokens))
        row["layer_fwd_s"] = mh.median_time(lambda: layer(x, wr, w13, w2, grouped))
    g = torch.randn(tokens, H, device="cuda", dtype=torch.bfloat16)

    def fb():
        torch.autograd.grad(layer(x, wr, w13, w2, grouped), (x, wr, w13, w2), g)
    flops = 2 * tokens * K * H * 3 * FF  # expert GEMMs, forward
    row["expert_gemm_tflops_fwd"] = flops / row["experts_fwd_s"] / 1e12
    try:
        row["layer_fwd_bwd_s"] = mh.median_time(fb, warmup=2, reps=5)
        row["layer_tflops_fwd_bwd"] = 3 * flops / row["layer_fwd_bwd_s"] / 1e12
    except Exception as ex:
        row["backward_error"] = repr(ex)[:300]
    # The same expert FLOPs as one dense GEMM pair, for reference.
    a = mh.rnd(tokens * K, H)
    b1, b2 = mh.rnd(H, 2 * FF), mh.rnd(FF, H)
    row["dense_equivalent_fwd_s"] = mh.median_time(lambda: (a @ b1)[:, :FF] @ b2)
    return row


if __name__ == "__main__":
    RES["shape"] = {"hidden": H, "experts": E, "top_k": K, "expert_ffn": FF, "torch": torch.__version__}
    for tokens in (4096, 16384):
        for grouped in (True, False):
            try:
                RES["rows"].append(case(tokens, grouped))
                mh.log({k: (round(v, 6) if isinstance(v, float) else v) for k, v in RES["rows"][-1].items()})
            except Exception as ex:
                RES["errors"].append(f"tokens {tokens} grouped {grouped}: {ex!r}"[:400])
                mh.log("FAILED", RES["errors"][-1])
            torch.cuda.empty_cache()
            save()
    mh.log("done")
