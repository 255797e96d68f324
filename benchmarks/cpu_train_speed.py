"""CPU training speed (forward + backward + SGD step, images/s) of candidate demo backbones.

Reference in the same run: the original DenseNet121_change_avg at the same size and batch, so the
printed ratio says how much faster the demo backbone trains than the original model would.

    python benchmarks/cpu_train_speed.py --size 128 --bs 32 --steps 3 --archs resnet18,resnet10t
"""
import argparse, time, torch, torch.nn as nn
from ich_nbdev.models import create_model, DEMO_ARCH

def train_speed(arch, size, bs, steps, warmup=1):
    "Images/s of `steps` training steps of `arch` on random data (after `warmup` steps)."
    torch.manual_seed(0)
    m = create_model(arch).train()
    opt = torch.optim.SGD(m.parameters(), lr=1e-3)
    x, y = torch.randn(bs, 3, size, size), torch.randint(0, 2, (bs, 6)).float()
    loss_fn = nn.BCEWithLogitsLoss()
    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(m(x), y).backward(); opt.step()
    for _ in range(warmup): step()
    t = time.perf_counter()
    for _ in range(steps): step()
    return bs * steps / (time.perf_counter() - t)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--archs', default=DEMO_ARCH, help='comma-separated model names')
    p.add_argument('--reference', default='DenseNet121_change_avg')
    p.add_argument('--size', type=int, default=128)
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, size {a.size}, batch {a.bs}, {a.steps} steps')
    ref = train_speed(a.reference, a.size, a.bs, a.steps)
    print(f'{a.reference:28s} {ref:8.1f} img/s  (reference)')
    for arch in a.archs.split(','):
        s = train_speed(arch, a.size, a.bs, a.steps)
        n = sum(p.numel() for p in create_model(arch).parameters()) / 1e6
        print(f'{arch:28s} {s:8.1f} img/s  {s / ref:5.1f}x reference  ({n:.1f} M params)')
