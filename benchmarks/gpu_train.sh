#!/usr/bin/env bash
# One-shot GPU training benchmark: the original DenseNet121_change_avg on synthetic data.
# Prints images/s and peak GPU memory for AMP + channels_last, next to a plain fp32 reference
# run in the same process (same model size, batch and steps), and the ratio between them.
#
#   bash benchmarks/gpu_train.sh                          # lent GPU: 256 px, batch 64, 50 steps, bf16
#   AMP=fp16 BS=128 STEPS=100 bash benchmarks/gpu_train.sh
#   DEVICE=cpu STEPS=2 SIZE=64 BS=4 bash benchmarks/gpu_train.sh   # smoke test without a GPU
#
# Env: ARCH (DenseNet121_change_avg), SIZE (256), BS (64), STEPS (50), WARMUP (5), AMP (bf16|fp16|none),
#      CHANNELS_LAST (1), REFERENCE (1: also time fp32 without channels_last), DEVICE (cuda|cpu).
# Needs only the checkout: the project is put on PYTHONPATH (no install); torch, torchvision and timm must import.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
export ARCH=${ARCH:-DenseNet121_change_avg} SIZE=${SIZE:-256} BS=${BS:-64} STEPS=${STEPS:-50} WARMUP=${WARMUP:-5}
export AMP=${AMP:-bf16} CHANNELS_LAST=${CHANNELS_LAST:-1} REFERENCE=${REFERENCE:-1} DEVICE=${DEVICE:-cuda}

"$PY" - <<'EOF'
import os, time, torch, torch.nn as nn
from ich_nbdev.models import create_model
from ich_nbdev.core import env_info, get_device

E = os.environ
arch, size, bs, steps, warmup = E['ARCH'], int(E['SIZE']), int(E['BS']), int(E['STEPS']), int(E['WARMUP'])
dev = get_device(E['DEVICE'])
cuda = dev.type == 'cuda'
if cuda: torch.backends.cudnn.benchmark = True
print({k: v for k, v in env_info().items() if k in ('torch', 'timm', 'cuda', 'gpu', 'host')})

def run(amp, channels_last):
    "Images/s and peak memory (GiB) of `steps` Adam steps at `size` px, batch `bs`, random data."
    torch.manual_seed(0)
    mf = torch.channels_last if channels_last else torch.contiguous_format
    m = create_model(arch).to(dev, memory_format=mf).train()
    opt = torch.optim.Adam(m.parameters(), lr=5e-4, weight_decay=2e-5)
    dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(amp)
    scaler = torch.amp.GradScaler(dev.type, enabled=amp == 'fp16')
    x = torch.randn(bs, 3, size, size, device=dev).contiguous(memory_format=mf)
    y = torch.randint(0, 2, (bs, m.n_out), device=dev).float()
    loss_fn = nn.BCEWithLogitsLoss()
    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = loss_fn(m(x).float(), y)
        scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
        return loss
    for _ in range(warmup): step()
    if cuda: torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(steps): loss = step()
    loss.item()
    if cuda: torch.cuda.synchronize()
    dt = time.perf_counter() - t
    mem = torch.cuda.max_memory_allocated() / 2**30 if cuda else float('nan')
    del m, opt, x
    if cuda: torch.cuda.empty_cache()
    return bs * steps / dt, mem

amp, cl = E['AMP'] if E['AMP'] != 'none' else None, E['CHANNELS_LAST'] == '1'
if amp and not cuda and amp == 'fp16': amp = 'bf16'  # CPU autocast supports bf16
ips, mem = run(amp, cl)
gib = lambda v: f'{v:.2f} GiB' if cuda else 'n/a on CPU'
print(f'{arch} {size}px batch {bs} {steps} steps on {dev}: amp={amp} channels_last={cl}: '
      f'{ips:.1f} images/s, peak memory {gib(mem)}')
if E['REFERENCE'] == '1':
    rips, rmem = run(None, False)
    print(f'reference fp32, contiguous: {rips:.1f} images/s, peak memory {gib(rmem)}; speed-up {ips / rips:.2f}x'
          + (f', memory ratio {mem / rmem:.2f}' if cuda else ''))
EOF
