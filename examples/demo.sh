#!/usr/bin/env bash
# `make demo`: the questions suanli was born from, on the bundled catalog.
# Usage: examples/demo.sh [path/to/suanli]
set -euo pipefail
suanli=${1:-build/suanli}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chips=h200-sxm,h20,h100-sxm,ascend-910b,ascend-910c,mlu590,kunlun-p800,mtt-s5000

section() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }

section "Is it allowed? ECCN 3A090 class, the Jan-2026 China overlay, origin and status"
"$suanli" classify ${chips//,/ } b200 l20 trainium2

section "Training a 175B model (GPT-3 shape) on 128 devices, 300B tokens"
echo "Commentary claims 128 Ascend 910C reach ~75% of an H200 cluster's training efficiency at"
echo "~50% of the cost (cost-performance 1.5). suanli's own answer, each chip with its own best"
echo "parallel layout (the 910C can use its 384-chip scale-up domain):"
"$suanli" compare train --model gpt3-175b --tokens 300e9 --devices 128 --accels "$chips"

section "Serving Llama 3 70B on 8 devices (2k in / 512 out, TPOT <= 50 ms)"
echo "Precision 'auto': FP8 where the chip has it, INT8 (W8A8) otherwise, BF16 as a last resort."
"$suanli" compare infer --model llama3-70b --precision auto --input-len 2048 --output-len 512 \
  --tpot-slo-ms 50 --devices 8 --accels "$chips"

section "Serving DeepSeek-V3 (671B MoE, 37B active) on 16 devices (2k in / 512 out, TPOT <= 50 ms)"
"$suanli" compare infer --model deepseek-v3 --precision auto --input-len 2048 --output-len 512 \
  --tpot-slo-ms 50 --devices 16 --accels "$chips"

section "One estimate in full: Llama 3 70B on 256 H100, 15T tokens"
"$suanli" estimate train --model llama3-70b --accel h100-sxm --devices 256 --tokens 15e12

section "A month of a hybrid cloud: scheduling under rules and shocks (examples/hybrid-cloud-2026.toml)"
echo "Sensitive tenants only on domestic chips, >= 50% domestic compute, H200 customs block at"
echo "day 10, H20 drained within 24 h at day 15, node failures. Heterogeneity-aware placement:"
"$suanli" simulate "$here/hybrid-cloud-2026.toml" --quiet
echo
echo "The same month with FIFO + first-fit placement (type-blind):"
"$suanli" simulate "$here/hybrid-cloud-2026.toml" --placement first-fit --quiet | sed -n 3,6p

section "How far to trust it: the estimator against published measurements"
"$suanli" validate | tail -n 2

section "What to buy for 2027: the H200's return as a procurement plan (examples/plan-2027-h200-return.toml)"
echo "H200 with the 25% levy vs Ascend 910B/910C, MLU590, Kunlunxin P800, MTT S5000 and H20, under a"
echo "50% domestic-share rule, sensitive data on domestic chips, and two risks: a US supply cut after"
echo "2027 and a ban on running NVIDIA parts. Demand sized per chip by the estimator; MILP by CBC."
report="${SUANLI_REPORT:-$PWD/build/plan-2027-h200-return.html}"
"$suanli" report "$here/plan-2027-h200-return.toml" --out "$report" --quiet
echo
echo "More: suanli --help · suanli validate · suanli catalog · suanli estimate infer --help"
