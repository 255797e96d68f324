#!/usr/bin/env bash
# The demo under different CPU arithmetic: does the sequence model's lead over the CNN hold?
#   bash benchmarks/demo_variants.sh            # four runs, each into its own work dir, then one table
# Variants: this CPU's default kernels with 1 and with 2 torch threads per stage, and AVX2 kernels
# (ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2: another CPU's arithmetic, different last bits) with 1 and 2.
# 1 thread: two tasks of a stage side by side (ich-demo's default); 2 threads: one task at a time (--parallel 1),
# so that neither variant asks for more threads than the 2 cores have.
# Each run is `ich-demo` into its own work dir (the data set is shared, generated once); the table lists the four figures of
# ich-demo and the margins: sequence wll / CNN wll, sequence AUC(any) - CNN AUC(any).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=${OUT:-papermill_runs/work/variants}
mkdir -p "$OUT"
export ICH_DEMO_DATA="$OUT/data"
status=0
run() {  # NAME THREADS ENV...
  local name=$1 threads=$2; shift 2
  echo "== $name" >&2
  local t0=$SECONDS
  # ich-demo exits 1 when a target is missed: noted, and the other variants still run
  env "$@" ICH_DEMO_WORK="$OUT/$name" "$BIN/ich-demo" --threads "$threads" --parallel $(( threads == 1 ? 2 : 1 )) > "$OUT/$name.log" 2>&1 \
    || { echo "$name: ich-demo exit $? (1: a target missed; log: $OUT/$name.log)" >&2; tail -5 "$OUT/$name.log" >&2; status=1; }
  echo "$(( SECONDS - t0 ))" > "$OUT/$name.seconds"
}
run default_1t 1
run default_2t 2
run avx2_1t 1 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
run avx2_2t 2 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
"$BIN/python" - "$OUT" <<'PYEOF'
import sys, json
from pathlib import Path
out = Path(sys.argv[1])
print(f"{'variant':<12} {'CNN AUC':>8} {'CNN wll':>8} {'prior wll':>9} {'seq wll':>8} {'seq AUC':>8} {'wll ratio':>9} {'AUC diff':>9} {'seconds':>8}")
for d in sorted(p for p in out.iterdir() if p.is_dir() and (p/'scores.json').exists()):
    rows = {r['model']: r for r in json.load(open(d/'scores.json'))['table']}
    c, s, p = rows['CNN ensemble'], rows['sequence model'], rows['constant prior (out-of-fold)']
    print(f"{d.name:<12} {c['auc_any']:8.4f} {c['wll']:8.4f} {p['wll']:9.4f} {s['wll']:8.4f} {s['auc_any']:8.4f} {s['wll'] / c['wll']:9.3f} {s['auc_any'] - c['auc_any']:+9.4f} {(d.parent/f'{d.name}.seconds').read_text().strip() if (d.parent/f'{d.name}.seconds').exists() else '?':>8}")
PYEOF
exit $status
