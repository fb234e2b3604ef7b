#!/usr/bin/env python3
"""A notebook-style tour of suanli from Python (run cell by cell in Jupyter,
or as a script): PYTHONPATH=build/python python3 examples/python_notebook.py
"""
import suanli

# %% What is an Ascend 910B worth against an H100 for a 70B pre-training run?
cmp = suanli.compare("train", model="llama3-70b", tokens=15e12, devices=1024,
                     accels=["h100-sxm", "h200-sxm", "ascend-910b", "ascend-910c"])
for row in cmp["rows"]:
    iv = row["interval"]["tokens_per_s"]
    print(f"{row['accelerator']:12} {row['tokens_per_s']:>12,.0f} tokens/s "
          f"(p10-p90 {iv['p10']:,.0f}-{iv['p90']:,.0f})  MFU {row['mfu']:.1%}  "
          f"relative cost-performance {row['relative_cost_performance']:.2f}")

# %% Is it allowed? ECCN 3A090 class and China status
for c in suanli.classify("h200-sxm", "h20", "ascend-910c"):
    print(f"{c['id']:12} {c['eccn_class']:12} {c['rule']}")

# %% One estimate in full, and a refusal as a Python exception
est = suanli.estimate_train(model="llama3-70b", accel="ascend-910b", devices=1024)
print("910B x1024:", est["parallelism"], f"MFU {est['mfu']:.1%}", f"step {est['step_time_s']:.2f} s")
try:
    suanli.estimate_train(model="llama3-70b", accel="ascend-91b", devices=8)
except suanli.Error as e:
    print(f"refused (exit code {e.code}): {e.message}")

# %% How far to trust it: out-of-sample error by source, as a table
cv = suanli.validate(cross_validate=True)
print(f"training, out of sample: {cv['median_abs_error_out_of_sample']:.1%} median |error| "
      f"over {cv['counted']} rows")
try:
    df = suanli.frame(cv, "sources")
    print(df.sort_values("median_abs_error", ascending=False).head(5).to_string(index=False))
except ImportError as e:
    print(e)
    for s in sorted(cv["sources"], key=lambda s: -s["median_abs_error"])[:5]:
        print(s)
