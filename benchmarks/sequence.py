"""Training-step speed of the sequence model on the CPU: one torch thread against the default (all cores),
in the same run, plus the step time at the original's batch of 128 for planning.

On a shared 2-core machine, OpenMP worker threads that spin while waiting for a core cost far more than the
second core brings this model (small matrices, many GRU time steps); the notebooks' tests therefore run with
`torch.set_num_threads(1)`. The model is the full `SequenceModel` (forward + backward of both outputs + Adam)
on random inputs shaped like a training batch (bs series of up to 24 slices, D-wide features of F models).

    python benchmarks/sequence.py --bs 32 --steps 5 --threads 2,1
"""
import argparse, time
import torch
from ich_nbdev.sequence import SequenceModel

def batch(bs, L, D, F, M, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(L // 2, L + 1, (bs,), generator=g); lengths[0] = L
    mask = torch.arange(L)[None] < lengths[:, None]
    return torch.randn(bs, D, L, F, generator=g), torch.rand(bs, M, L, 6, generator=g), torch.randn(bs, L, generator=g), mask

def time_steps(model, b, steps):
    opt = torch.optim.Adam(model.parameters(), 3e-4)
    def step():
        out, out0 = model(*b); (out.pow(2).mean() + out0.pow(2).mean()).backward(); opt.step(); opt.zero_grad()
    step()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(steps): step()
    return (time.perf_counter() - t) / steps, (time.process_time() - c) / steps

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--bs', type=int, default=32); ap.add_argument('--L', type=int, default=24)
    ap.add_argument('--D', type=int, default=512); ap.add_argument('--F', type=int, default=1); ap.add_argument('--M', type=int, default=1)
    ap.add_argument('--steps', type=int, default=5); ap.add_argument('--threads', default=f'{torch.get_num_threads()},1')
    a = ap.parse_args()
    b = batch(a.bs, a.L, a.D, a.F, a.M)
    print(f'batch {a.bs} series x up to {a.L} slices, D={a.D}, F={a.F}, M={a.M}: training step (forward+backward+Adam)')
    ref = None
    for nt in map(int, a.threads.split(',')):
        torch.set_num_threads(nt); torch.manual_seed(0)
        wall, cpu = time_steps(SequenceModel(a.F, a.D, a.M), b, a.steps)
        ref = ref or wall
        print(f'threads {nt}: {wall:6.3f} s/step wall, {cpu:6.3f} s/step CPU, {ref / wall:5.2f}x vs the first row')
