"""A bare DenseNet121 forward on the CPU in each layout and arithmetic ich-predict can use, against fp32 contiguous.

    python benchmarks/model_arith.py --size 512 --batch 8

Same process, same random input and weights; best of `--repeat` timed passes after one warm-up. Prints img/s,
the ratio to fp32 contiguous and the largest absolute logit difference, and whether this CPU has native
bfloat16 (`embed.cpu_has_bf16`: what `--precision auto` goes by).
"""
import argparse, time, torch, torchvision
from ich_nbdev.embed import cpu_has_bf16

def rate(model, x, bf16, n):
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
        y = model(x); best = 0
        for _ in range(n):
            t = time.perf_counter(); y = model(x); best = max(best, len(x) / (time.perf_counter() - t))
    return best, y.float()

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--size', type=int, default=512); p.add_argument('--batch', type=int, default=8); p.add_argument('--repeat', type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(0)
    m = torchvision.models.densenet121(weights=None).eval(); x = torch.randn(a.batch, 3, a.size, a.size)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; native bf16: {cpu_has_bf16()}; DenseNet121 at {a.size}, batch {a.batch}')
    r0, y0 = rate(m, x, False, a.repeat)
    print(f'fp32 contiguous            {r0:6.2f} img/s  1.00x')
    mc, xc = m.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    for name, bf16 in (('fp32 channels-last', False), ('bf16 autocast channels-last', True)):
        r, y = rate(mc, xc, bf16, a.repeat)
        print(f'{name:26s} {r:6.2f} img/s  {r / r0:.2f}x  max |logit difference| {(y - y0).abs().max():.1e}')
