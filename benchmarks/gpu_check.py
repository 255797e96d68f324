"""One GPU check: training and inference throughput, loader speed, and the demo pipeline's stages on the device.

    bash benchmarks/gpu_check.sh            # on a CUDA machine: the real figures, in under 8 minutes
    bash benchmarks/gpu_check.sh            # on a CPU: a tiny version of the same, which says it is not a GPU figure

Prints, per part: training img/s with AMP (bf16) and channels_last for DenseNet121 at 256 and 512 and
SE-ResNeXt101 at 256, with peak memory and the largest batch that fits (doubling until out of memory);
inference img/s per precision (fp32, bf16, fp16) of DenseNet121 at 512; loader items/s per worker count;
then the demo pipeline on the device end to end (synthetic data, preprocessing, two folds of two epochs,
embeddings, sequence model, ich-predict on the test studies), checking that every output exists and every
score is finite. Random weights throughout (no download); exit 1 when a check fails.
"""
import argparse, math, os, sys, tempfile, time
from pathlib import Path
import numpy as np, torch

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()

def train_speed(arch, size, bs, steps, dev, amp=True):
    "img/s of `steps` training steps (one warm-up step first) with AMP bf16 and channels_last; peak memory in GiB."
    from ich_nbdev.models import create_model
    m = create_model(arch).to(dev).to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(m.parameters(), 1e-4)
    x = torch.randn(bs, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last); y = torch.rand(bs, 6, device=dev)
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
    for k in range(steps + 1):
        if k == 1: sync(dev); t = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(m(x).float(), y)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    sync(dev)
    ips = steps * bs / (time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated() / 2**30 if dev.type == 'cuda' else float('nan')
    del m, opt, x, y
    if dev.type == 'cuda': torch.cuda.empty_cache()
    return ips, peak

def largest_batch(arch, size, dev, start, cap):
    "The largest batch (doubling from `start`, at most `cap`) whose training step fits in the device's memory."
    ok, bs = None, start
    while bs <= cap:
        try: train_speed(arch, size, bs, 1, dev); ok = bs; bs *= 2
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache(); break
    return ok

def infer_speed(arch, size, bs, steps, dev, precision):
    from ich_nbdev.models import create_model
    from ich_nbdev.embed import autocast_dtype
    dt = autocast_dtype(precision, dev)
    m = create_model(arch).to(dev).eval().to(memory_format=torch.channels_last)
    x = torch.randn(bs, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast(dev.type, dtype=dt or torch.bfloat16, enabled=dt is not None):
        m(x); sync(dev); t = time.perf_counter()
        for _ in range(steps): m(x)
        sync(dev)
    return steps * bs / (time.perf_counter() - t)

def loader_speed(work, workers, bs, dev, n_batches):
    "Items/s of the inference loader over the store of `work` with `workers` processes."
    from ich_nbdev.data import infer_dl, open_store
    store = open_store(work)
    idx = np.resize(np.arange(len(store)), bs * n_batches)
    dl = infer_dl(store, idx, bs, 'context', workers, dev)
    t = time.perf_counter(); n = 0
    for xb, *_ in dl: n += len(xb)
    sync(dev)
    return n / (time.perf_counter() - t)

def pipeline(tmp, dev, tiny):
    "The demo pipeline's stages on `dev`; the list of failed checks."
    from ich_nbdev.core import WD, KAGGLE, load_json
    from ich_nbdev.models import DEMO_ARCH
    from ich_nbdev.synth import make_synth
    from ich_nbdev.preprocess import preprocess
    from ich_nbdev.data import prepare_data
    from ich_nbdev.train import train_cnn
    from ich_nbdev.embed import embed
    from ich_nbdev.sequence import sequence_stage
    from ich_nbdev.predict import predict
    t0, d = time.perf_counter(), str(dev)
    data = tmp/'data'
    make_synth(data, n_studies=8 if tiny else 48, n_test_studies=2 if tiny else 8, slices=(8, 10) if tiny else (20, 28), size=64 if tiny else 128, quirk_rate=0, n_corrupt=0)
    work = tmp/'work'
    preprocess(data, work, size=64 if tiny else 128, progress=False, n_workers=0 if tiny else 4)
    prepare_data(work, n_folds=2)
    bs = 16 if tiny else 128
    train_cnn(work, device=d, backbone=DEMO_ARCH, size=48, n_folds=2, epochs=2, bs=bs)
    embed(work, DEMO_ARCH, 48, n_folds=2, tta=2, bs=bs, device=d)
    sequence_stage(work, device=d, quiet=True, n_folds=2, epochs=2, bs=4, split='stratified', milestones=None, padding='masked', layout='ours', tta='probs')
    rec = predict(data/KAGGLE.test_dir, tmp/'pred', work, device=d, quiet=True, report=False)
    fails = [f'{f} missing' for f in (work/WD.cnn/f'{DEMO_ARCH}_48'/'fold0.pth', work/WD.seq/WD.seq.oof_preds, tmp/'pred'/'predictions.csv')
             if not Path(f).exists()]
    sc = load_json(work/WD.seq/WD.seq.scores)
    fails += [f'{k} = {v} is not finite' for k, v in (('sequence oof_wll', sc['oof_wll']), ('cnn mean oof_wll', sc['cnn_mean_oof_wll'])) if not math.isfinite(v)]
    import pandas as pd
    p = pd.read_csv(tmp/'pred'/'predictions.csv')
    if not np.isfinite(p.Label.values).all() or len(p) == 0: fails.append('ich-predict probabilities not finite')
    print(f"pipeline on {d}: {time.perf_counter() - t0:.0f} s; sequence OOF wll {sc['oof_wll']:.4f}, CNN {sc['cnn_mean_oof_wll']:.4f}; "
          f"ich-predict {rec['n_slices']} slices, timings {rec['timings']}", flush=True)
    return fails

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--tiny', action='store_true', help='the CPU version even on a GPU')
    a = p.parse_args()
    from ich_nbdev.core import env_info
    cuda = torch.cuda.is_available() and not a.tiny
    dev = torch.device('cuda' if cuda else 'cpu')
    if cuda: torch.backends.cudnn.benchmark = True
    print(f"device: {torch.cuda.get_device_name(0) if cuda else 'CPU'}; torch {torch.__version__}; {env_info().get('host')}", flush=True)
    if not cuda: print('CPU tiny mode: small models, sizes and steps. These are NOT GPU figures; they check that the script runs.', flush=True)
    tiny = not cuda
    # training
    cases = [('DenseNet121_change_avg', 256), ('DenseNet121_change_avg', 512), ('se_resnext101_32x4d', 256)] if cuda else [('resnet10t_w16', 48)]
    for arch, size in cases:
        bs = 32 if cuda else 8
        ips, peak = train_speed(arch, size, bs, 20 if cuda else 2, dev)
        big = largest_batch(arch, size, dev, bs, 1024) if cuda else None
        print(f'train {arch} @{size}, AMP bf16 + channels_last, batch {bs}: {ips:.1f} img/s, peak {peak:.1f} GiB; largest batch that fits: {big}', flush=True)
    # inference
    arch, size = ('DenseNet121_change_avg', 512) if cuda else ('resnet10t_w16', 64)
    for prec in (('fp32', 'bf16', 'fp16') if cuda else ('fp32', 'bf16')):
        print(f'inference {arch} @{size} {prec}: {infer_speed(arch, size, 64 if cuda else 8, 20 if cuda else 3, dev, prec):.1f} img/s', flush=True)
    # pipeline (its work dir also feeds the loader figures)
    with tempfile.TemporaryDirectory() as d:
        fails = pipeline(Path(d), dev, tiny)
        for w in ((0, 2, 4, 8) if cuda else (0, 1)):
            print(f'loader, {w} workers: {loader_speed(Path(d)/"work", w, 64 if cuda else 8, dev, 20 if cuda else 4):.0f} items/s', flush=True)
    print('checks: ' + ('all passed' if not fails else 'FAILED: ' + '; '.join(fails)))
    sys.exit(1 if fails else 0)
