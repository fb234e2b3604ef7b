#!/usr/bin/env python3
"""First-party measurements on one NVIDIA H200 for data/validation/ (see README.md here).

Runs on a machine with one CUDA GPU and PyTorch; nothing in the build or the
tests needs it. Writes $OUT/h200_measurements.json after every section, so a
run stopped part-way still returns what it measured. Every figure is the median
of timed repetitions after warm-ups, timed with CUDA events; the data is
random (normal, std 0.02), never zeros.
"""
import json
import math
import os
import subprocess
import sys
import time
import traceback

import torch
import torch.nn.functional as F

OUT = os.environ.get("OUT", "/tmp/h200_out")
os.makedirs(OUT, exist_ok=True)
RESULTS = {"meta": {}, "sections": {}, "errors": {}}
T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def save():
    with open(os.path.join(OUT, "h200_measurements.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)


def median_time(fn, warmup=3, reps=10):
    """Median seconds of one call of fn, CUDA events around each call."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    times.sort()
    return times[len(times) // 2]


def rnd(*shape, dtype=torch.bfloat16):
    return torch.randn(*shape, device="cuda", dtype=dtype) * 0.02


def section(name):
    def deco(fn):
        def run():
            log("section", name)
            try:
                RESULTS["sections"][name] = fn()
            except Exception:
                RESULTS["errors"][name] = traceback.format_exc()
                log("FAILED", name, RESULTS["errors"][name][-400:])
            torch.cuda.empty_cache()
            save()
        return run
    return deco


def meta():
    p = torch.cuda.get_device_properties(0)
    RESULTS["meta"] = {
        "device": p.name, "sms": p.multi_processor_count,
        "memory_gib": p.total_memory / 2**30, "torch": torch.__version__,
        "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        RESULTS["meta"]["nvidia_smi"] = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,power.limit,clocks.max.sm,clocks.max.mem",
             "--format=csv"], capture_output=True, text=True, timeout=20).stdout
    except Exception as ex:  # nvidia-smi missing is not fatal
        RESULTS["meta"]["nvidia_smi"] = repr(ex)
    save()


LLAMA8B_GEMMS = {  # (M tokens, N out, K in) of Llama-3 8B at 8192 tokens per step
    "qkv": (8192, 6144, 4096), "o": (8192, 4096, 4096), "gate_up": (8192, 28672, 4096),
    "down": (8192, 4096, 14336), "logits": (8192, 128256, 4096),
}


@section("gemm")
def gemm():
    shapes = {f"square{n}": (n, n, n) for n in (512, 1024, 2048, 4096, 8192, 16384)}
    shapes.update({f"llama8b_{k}": v for k, v in LLAMA8B_GEMMS.items()})
    for m in (1, 8, 32, 128, 512):  # decode-shaped: weight-read bound at small M
        shapes[f"decode_gate_up_m{m}"] = (m, 28672, 4096)
    rows = []
    for name, (m, n, k) in shapes.items():
        a, w = rnd(m, k), rnd(n, k)
        t = median_time(lambda: F.linear(a, w))
        row = {"name": name, "m": m, "n": n, "k": k, "bf16_s": t,
               "bf16_tflops": 2 * m * n * k / t / 1e12,
               "bf16_gbps": 2 * (m * k + n * k + m * n) / t / 1e9}
        if m >= 16:
            a8, w8 = a.to(torch.float8_e4m3fn), w.to(torch.float8_e4m3fn)
            one = torch.ones((), device="cuda")
            try:
                t8 = median_time(lambda: torch._scaled_mm(a8, w8.t(), one, one, out_dtype=torch.bfloat16))
                row.update(fp8_tensorwise_s=t8, fp8_tensorwise_tflops=2 * m * n * k / t8 / 1e12)
                sa = torch.ones((m, 1), device="cuda")
                sb = torch.ones((1, n), device="cuda")
                t8r = median_time(lambda: torch._scaled_mm(a8, w8.t(), sa, sb, out_dtype=torch.bfloat16))
                row.update(fp8_rowwise_s=t8r, fp8_rowwise_tflops=2 * m * n * k / t8r / 1e12)
            except Exception as ex:
                row["fp8_error"] = repr(ex)[:300]
        rows.append(row)
        log(name, {k: round(v, 1) for k, v in row.items() if k.endswith("tflops") or k.endswith("gbps")})
        del a, w
    return rows


@section("hbm")
def hbm():
    rows = []
    for gib in (0.25, 1, 4):
        n = int(gib * 2**30) // 2
        x, y = rnd(n), torch.empty(n, device="cuda", dtype=torch.bfloat16)
        b = n * 2
        t_copy = median_time(lambda: y.copy_(x))
        t_read = median_time(lambda: x.sum(dtype=torch.float32))
        t_write = median_time(lambda: y.fill_(1.0))
        t_axpy = median_time(lambda: torch.add(x, y, alpha=0.5, out=y))
        rows.append({"gib": gib, "copy_gbps": 2 * b / t_copy / 1e9, "read_gbps": b / t_read / 1e9,
                     "write_gbps": b / t_write / 1e9, "axpy_gbps": 3 * b / t_axpy / 1e9})
        log(rows[-1])
        del x, y
    return rows


@section("attention")
def attention():
    from torch.nn.attention import SDPBackend, sdpa_kernel
    rows = []
    heads, d, tokens = 32, 128, 16384
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION):
        for s in (1024, 2048, 4096, 8192, 16384):
            b = tokens // s
            q, k, v = (rnd(b, heads, s, d).requires_grad_() for _ in range(3))
            flops_fwd = 4 * b * heads * s * s * d / 2  # causal: half the score matrix
            row = {"backend": backend.name, "seq": s, "batch": b, "heads": heads, "head_dim": d}
            try:
                with sdpa_kernel(backend):
                    tf = median_time(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
                    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                    g = torch.randn_like(out)

                    def fwd_bwd():
                        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                        torch.autograd.grad(o, (q, k, v), g)
                    tfb = median_time(fwd_bwd)
                row.update(fwd_s=tf, fwd_tflops=flops_fwd / tf / 1e12, fwd_bwd_s=tfb,
                           fwd_bwd_tflops=3.5 * flops_fwd / tfb / 1e12)
            except Exception as ex:
                row["error"] = repr(ex)[:300]
            rows.append(row)
            log(row)
            del q, k, v
    return rows


# ---------------------------------------------------------------- Llama model
class Llama(torch.nn.Module):
    """Llama-3 block stack as torchtitan writes it (separate q/k/v/w1/w3 projections,
    complex-valued RoPE, SDPA causal attention with repeated KV heads, SwiGLU)."""

    def __init__(self, layers, hidden, heads, kv_heads, ffn, vocab, tied):
        super().__init__()
        self.h, self.nh, self.nkv, self.hd = hidden, heads, kv_heads, hidden // heads
        self.emb = torch.nn.Embedding(vocab, hidden)
        L = torch.nn.Linear
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            blk = torch.nn.Module()
            blk.wq, blk.wk = L(hidden, hidden, bias=False), L(hidden, kv_heads * self.hd, bias=False)
            blk.wv, blk.wo = L(hidden, kv_heads * self.hd, bias=False), L(hidden, hidden, bias=False)
            blk.w1, blk.w3 = L(hidden, ffn, bias=False), L(hidden, ffn, bias=False)
            blk.w2 = L(ffn, hidden, bias=False)
            blk.n1, blk.n2 = torch.nn.RMSNorm(hidden, eps=1e-5), torch.nn.RMSNorm(hidden, eps=1e-5)
            self.blocks.append(blk)
        self.norm = torch.nn.RMSNorm(hidden, eps=1e-5)
        self.out = L(hidden, vocab, bias=False)
        if tied:
            self.out.weight = self.emb.weight
        for p in self.parameters():
            torch.nn.init.normal_(p, std=0.02)
        self.block_fn = self._block

    def rope(self, seq, device):
        inv = 1.0 / (500000.0 ** (torch.arange(0, self.hd, 2, device=device).float() / self.hd))
        f = torch.outer(torch.arange(seq, device=device).float(), inv)
        return torch.polar(torch.ones_like(f), f)

    @staticmethod
    def apply_rope(x, fc):
        xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(xc * fc[None, :, None, :]).flatten(3).type_as(x)

    def _block(self, blk, x, fc):
        b, s, _ = x.shape
        h = blk.n1(x)
        q = blk.wq(h).view(b, s, self.nh, self.hd)
        k = blk.wk(h).view(b, s, self.nkv, self.hd)
        v = blk.wv(h).view(b, s, self.nkv, self.hd)
        q, k = self.apply_rope(q, fc), self.apply_rope(k, fc)
        rep = self.nh // self.nkv
        k = k.repeat_interleave(rep, dim=2)
        v = v.repeat_interleave(rep, dim=2)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True)
        x = x + blk.wo(a.transpose(1, 2).reshape(b, s, self.h))
        h = blk.n2(x)
        return x + blk.w2(F.silu(blk.w1(h)) * blk.w3(h))

    def forward(self, tokens, last_only=False):
        fc = self.rope(tokens.shape[1], tokens.device)
        x = self.emb(tokens)
        for blk in self.blocks:
            x = self.block_fn(blk, x, fc)
        if last_only:  # serving computes logits for the last position only
            x = x[:, -1:]
        return self.out(self.norm(x))


SHAPES = {  # Llama 3.2 1B and 3B (tied embeddings), Llama 3 8B
    "llama3.2-1b": dict(layers=16, hidden=2048, heads=32, kv_heads=8, ffn=8192, vocab=128256, tied=True),
    "llama3.2-3b": dict(layers=28, hidden=3072, heads=24, kv_heads=8, ffn=8192, vocab=128256, tied=True),
    "llama3-8b": dict(layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, tied=False),
}


def model_flops_per_token(c, seq):
    """6 x (matmul parameters incl. logits) + causal attention 6·layers·seq·hidden (fwd+bwd)."""
    hd = c["hidden"] // c["heads"]
    per_layer = c["hidden"] * (c["hidden"] * 2 + 2 * c["kv_heads"] * hd) + 3 * c["hidden"] * c["ffn"]
    mm = c["layers"] * per_layer + c["hidden"] * c["vocab"]
    return 6 * mm + 6 * c["layers"] * seq * c["hidden"]


def train_case(name, seq, mbs, compiled=False, steps=8):
    c = SHAPES[name]
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Llama(**c).to(torch.bfloat16)  # BF16 compute weights, FP32 master copy below
    params = list(model.parameters())
    master = [p.detach().float().clone().requires_grad_() for p in params]
    opt = torch.optim.AdamW(master, lr=1e-5, fused=True)
    if compiled:
        torch._dynamo.config.cache_size_limit = 64
        blk_c = torch.compile(model._block)
        model.block_fn = blk_c
    tokens = torch.randint(0, c["vocab"], (mbs, seq + 1), device="cuda")
    inp, tgt = tokens[:, :-1], tokens[:, 1:]

    def fwd_bwd():
        logits = model(inp)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), tgt.flatten())
        loss.backward()
        return loss

    def step():
        fwd_bwd()
        for m, p in zip(master, params):
            m.grad = p.grad.float()
            p.grad = None
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            for p, m in zip(params, master):
                p.copy_(m)

    t_step = median_time(step, warmup=3, reps=steps)
    t_fb = median_time(lambda: (fwd_bwd(), [setattr(p, "grad", None) for p in params]), warmup=1, reps=5)
    mem = torch.cuda.max_memory_allocated() / 2**30
    ntok = seq * mbs
    row = {"model": name, "seq": seq, "micro_batch": mbs, "compiled": compiled, "step_s": t_step,
           "fwd_bwd_s": t_fb, "tokens_per_s": ntok / t_step,
           "model_tflops": model_flops_per_token(c, seq) * ntok / t_step / 1e12,
           "peak_mem_gib": mem, "params_b": sum(p.numel() for p in params) / 1e9}
    del model, opt, master, params
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    return row


@section("train")
def train():
    rows = []
    for args in (("llama3.2-1b", 2048, 8), ("llama3.2-1b", 8192, 2), ("llama3.2-3b", 4096, 2),
                 ("llama3.2-3b", 2048, 4)):
        try:
            rows.append(train_case(*args))
        except Exception as ex:
            rows.append({"case": list(args), "error": repr(ex)[:400]})
            torch.cuda.empty_cache()
        log(rows[-1])
        save()
    return rows


# ---------------------------------------------------------------- decode
def decode_weights(c):
    g = torch.Generator(device="cuda").manual_seed(0)
    hd = c["hidden"] // c["heads"]
    qkv = c["hidden"] + 2 * c["kv_heads"] * hd

    def w(*s):
        return torch.randn(*s, device="cuda", dtype=torch.bfloat16, generator=g) * 0.02
    layers = [dict(wqkv=w(qkv, c["hidden"]), wo=w(c["hidden"], c["hidden"]), w13=w(2 * c["ffn"], c["hidden"]),
                   w2=w(c["hidden"], c["ffn"]), n1=torch.ones(c["hidden"], device="cuda", dtype=torch.bfloat16),
                   n2=torch.ones(c["hidden"], device="cuda", dtype=torch.bfloat16)) for _ in range(c["layers"])]
    return dict(layers=layers, emb=w(c["vocab"], c["hidden"]), out=w(c["vocab"], c["hidden"]),
                norm=torch.ones(c["hidden"], device="cuda", dtype=torch.bfloat16))


def decode_step(c, W, cache_k, cache_v, tok, pos, fc):
    """One decode step for a batch at context length pos (keys 0..pos), as a serving engine
    runs it: fused QKV and gate/up projections, GQA attention over the cache."""
    hd, nkv, nh = c["hidden"] // c["heads"], c["kv_heads"], c["heads"]
    b = tok.shape[0]
    x = W["emb"][tok]
    for i, L in enumerate(W["layers"]):
        h = F.rms_norm(x, (c["hidden"],), L["n1"], 1e-5)
        qkv = F.linear(h, L["wqkv"])
        q, k, v = qkv.split([nh * hd, nkv * hd, nkv * hd], dim=-1)
        q = Llama.apply_rope(q.view(b, 1, nh, hd), fc)
        k = Llama.apply_rope(k.view(b, 1, nkv, hd), fc)
        cache_k[i][:, :, pos] = k[:, 0]
        cache_v[i][:, :, pos] = v.view(b, nkv, hd)
        qg = q.view(b, nkv, nh // nkv, hd)  # query heads of one KV group as its query rows
        a = F.scaled_dot_product_attention(qg, cache_k[i][:, :, : pos + 1], cache_v[i][:, :, : pos + 1])
        x = x + F.linear(a.reshape(b, nh * hd), L["wo"])
        h = F.rms_norm(x, (c["hidden"],), L["n2"], 1e-5)
        g, u = F.linear(h, L["w13"]).chunk(2, dim=-1)
        x = x + F.linear(F.silu(g) * u, L["w2"])
    return F.linear(F.rms_norm(x, (c["hidden"],), W["norm"], 1e-5), W["out"])


@section("decode")
def decode():
    c = SHAPES["llama3-8b"]
    W = decode_weights(c)
    hd = c["hidden"] // c["heads"]
    rows = []
    inv = 1.0 / (500000.0 ** (torch.arange(0, hd, 2, device="cuda").float() / hd))
    for b, ctx in ((1, 1024), (8, 1024), (32, 1024), (64, 1024), (128, 1024), (256, 1024),
                   (1, 4096), (32, 4096), (64, 4096), (128, 4096)):
        try:
            cache_k = [torch.zeros(b, c["kv_heads"], ctx + 1, hd, device="cuda", dtype=torch.bfloat16)
                       for _ in range(c["layers"])]
            cache_v = [torch.zeros_like(t) for t in cache_k]
            for t in cache_k + cache_v:
                t.normal_(std=0.5)
            pos = ctx
            fc = torch.polar(torch.ones(1, hd // 2, device="cuda"), (pos * inv)[None, :])
            tok = torch.randint(0, c["vocab"], (b,), device="cuda")
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    decode_step(c, W, cache_k, cache_v, tok, pos, fc)
            torch.cuda.current_stream().wait_stream(s)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                decode_step(c, W, cache_k, cache_v, tok, pos, fc)
            t = median_time(graph.replay, warmup=5, reps=30)
            t_eager = median_time(lambda: decode_step(c, W, cache_k, cache_v, tok, pos, fc), warmup=2, reps=5)
            kv_bytes = 2 * c["layers"] * b * c["kv_heads"] * (ctx + 1) * hd * 2
            w_bytes = sum(v.numel() * 2 for L in W["layers"] for v in L.values()) + W["out"].numel() * 2
            row = {"model": "llama3-8b", "batch": b, "context": ctx + 1, "tpot_s": t, "eager_tpot_s": t_eager,
                   "output_tokens_per_s": b / t, "weight_bytes": w_bytes, "kv_bytes": kv_bytes,
                   "effective_gbps": (w_bytes + kv_bytes) / t / 1e9}
            del graph, cache_k, cache_v
        except Exception as ex:
            row = {"batch": b, "context": ctx, "error": repr(ex)[:400]}
        torch.cuda.empty_cache()
        rows.append(row)
        log(row)
        save()
    # Prefill (time to first token without queueing): one sequence, causal attention.
    del W
    torch.cuda.empty_cache()
    with torch.device("cuda"):
        model = Llama(**SHAPES["llama3-8b"]).to(torch.bfloat16).eval()
    with torch.no_grad():
        for n in (1024, 4096, 8192, 16384):
            tokens = torch.randint(0, 128256, (1, n), device="cuda")
            t = median_time(lambda: model(tokens, last_only=True), warmup=2, reps=5)
            rows.append({"model": "llama3-8b", "prefill_tokens": n, "ttft_s": t,
                         "prefill_tokens_per_s": n / t,
                         "model_tflops": model_flops_per_token(SHAPES["llama3-8b"], n) / 3 * n / t / 1e12})
            log(rows[-1])
    return rows


@section("train_compiled")
def train_compiled():
    rows = []
    for args in (("llama3.2-1b", 2048, 8), ("llama3.2-3b", 4096, 2)):
        rows.append(train_case(*args, compiled=True))
        log(rows[-1])
        save()
    return rows


if __name__ == "__main__":
    which = sys.argv[1:] or ["gemm", "hbm", "attention", "train", "decode", "train_compiled"]
    meta()
    log(RESULTS["meta"])
    for name in which:
        globals()[name]()
    log("done; errors:", list(RESULTS["errors"]))
