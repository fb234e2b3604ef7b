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

section "The same as a service: suanli serve (JSON API, live fleet, dashboard)"
data=$(mktemp -d)
secret=$("$suanli" token create demo --data-dir "$data" --json 2>/dev/null | sed -n 's/.*"secret": "\([0-9a-f]*\)".*/\1/p')
"$suanli" serve --listen 127.0.0.1:0 --data-dir "$data" >"$data/serve.log" 2>&1 &
serve_pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's|^listening on \(http://[0-9.:]*\).*|\1|p' "$data/serve.log")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -n "$url" ] && command -v curl >/dev/null; then
  api() { curl -s -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' "$@"; }
  echo "listening on $url (the dashboard is at $url/ while it runs)"
  echo "POST /api/v1/fleet/config: one site with H20 and Ascend 910B nodes, confidential work on CN chips"
  cfg='name = "demo"\n[[sites]]\nname = "wuhu"\n[[fleet]]\nsite = "wuhu"\naccelerator = "h20"\nnodes = 2\n[[fleet]]\nsite = "wuhu"\naccelerator = "ascend-910b"\nnodes = 2\n[[tenants]]\nname = "gov"\nsensitivity = "confidential"\n[[rules]]\nid = "sensitive-on-domestic"\nkind = "sensitivity-origin"\norigins = ["CN"]\n'
  api -X PUT "$url/api/v1/fleet/config" -d "{\"scenario\": \"${cfg//\"/\\\"}\"}" >/dev/null
  echo "POST /api/v1/fleet/jobs: a confidential 8-device job. The scheduler core answers:"
  api -X POST "$url/api/v1/fleet/jobs" -d '{"name":"tax-model","tenant":"gov","sensitivity":"confidential","devices":8,"duration_hours":4,"reference":"h20"}' |
    sed -n 's/.*"accelerator":"\([^"]*\)","checked":\[\([^]]*\)\].*"event":"place".*/  placed on \1 after checking rules \2/p' | head -1
  echo
  echo "GET /api/v1/fleet/audit: every decision with the rule behind it ($(api "$url/api/v1/fleet/audit" | grep -o '"seq"' | wc -l) so far)"
fi
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -rf "$data"

section "On a Slurm cluster: the same fleet as slurm.conf / gres.conf (docs/slurm.md)"
echo "suanli slurm conf examples/slurm/fleet.toml (one GRES type per chip; features for origin, site, domain):"
"$suanli" slurm conf "$here/slurm/fleet.toml" | grep -E '^(NodeName=lab-(h20|ascend-910b)-0|PartitionName=suanli)' | cut -c1-150
echo "Then: suanli slurm init fleet.toml; suanli slurm submit job.toml (sbatch pinned where the rules allow);"
echo "suanli slurm agent (follows nodes and jobs); suanli sweep SCENARIO --sweep k=a,b --slurm (one job array)."
echo
echo "More: suanli --help · suanli validate · suanli catalog · suanli estimate infer --help"
