#!/usr/bin/env python3
"""`make bench`: a sweep of 10,000 training estimates from Python against
the same 10,000 commands run in a C++ loop (Session.run_many), in the same
run. The ratio is the Python package's overhead (keyword arguments to flags,
the call, JSON back to dicts); the issue's bound is 2x.

Usage: PYTHONPATH=build/python python3 bench/python_sweep.py [N]
"""
import itertools
import sys
import time

import suanli

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
MODELS = ["llama3-8b", "llama3-70b", "qwen2.5-32b", "gpt3-175b"]
ACCELS = ["h100-sxm", "h200-sxm", "h20", "ascend-910b", "ascend-910c", "mlu590", "kunlun-p800"]
DEVICES = [64, 128, 256, 512, 1024]
MICRO = [1, 2, 4]
TP = [1, 2, 4, 8]


def grid():
    """N distinct workloads with their layout given (one estimate each, no search)."""
    combos = itertools.product(MODELS, ACCELS, DEVICES, MICRO, TP, range(1, 10**6))
    for model, accel, devices, mb, tp, k in itertools.islice(combos, N):
        yield dict(model=model, accel=accel, devices=devices, micro_batch=mb, tp=tp, pp=1,
                   global_batch=devices * mb * (1 + k % 3), seq=4096)


def main():
    work = list(grid())
    s = suanli.session()
    batch = [suanli.command_line("estimate", "train", **w) + ["--json"] for w in work]
    t0 = time.perf_counter()
    native = s._native.run_many(batch)
    cpp = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = []
    for w in work:
        try:
            results.append(suanli.estimate_train(**w)["step_time_s"])
        except suanli.Error:
            results.append(None)
    py = time.perf_counter() - t0
    ok = sum(1 for r in results if r is not None)
    same = all((code == 0) == (r is not None) for (code, _, _), r in zip(native, results))
    ratio = py / cpp
    print(f"python sweep: {N} estimates ({ok} fit) in {py:.2f} s from Python, {cpp:.2f} s in a C++ "
          f"loop: {py / N * 1e6:.0f} vs {cpp / N * 1e6:.0f} us per estimate, ratio {ratio:.2f} "
          f"(bound 2.00){'' if same else '  MISMATCH between the two loops'}")
    return 0 if same and ratio <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
