"""CPU slices/s of `ich-predict` end to end (DICOM folder in, CSVs out) vs the inference fork's approach.

Reference in the same run, on the same files: the fork converted each DICOM to a PNG (own window),
read the PNGs back and fed the same slice three times to the model (one slice per channel), with no
neighbour context and no sequence model. Both sides run the same models, one view (no TTA), no
figures, batch 8, on the CPU; the reference includes the PNG conversion the fork needed.

    python benchmarks/predict.py --slices 12,36 --models demo,DenseNet121_change_avg_512 --repeat 2

Each side runs `--repeat` times per series length, alternating, from scratch (fresh output folders, so
preprocessing is redone); the best run of each is kept (the machine is shared: the best run is the least
disturbed). The figure compared is the marginal rate, slices/s between the two lengths, which leaves out what
a run pays once (loading the models, starting up). ich-predict runs at `--precision` (auto: bf16 where the
CPU has native bf16) and channels-last; the fork ran fp32. With autocast, the precision check prints how far
the CNN probabilities move from fp32.
"""
import argparse, tempfile, time, shutil
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F, cv2
from ich_nbdev.core import LABELS
from ich_nbdev.dicom import read_dicom, dcm_hu, dicom_window
from ich_nbdev.synth import make_synth
from ich_nbdev.predict import predict, find_models, load_folds
from ich_nbdev.testing import fake_release

def fork_reference(dicom_dir, models_dir, size, bs=8, work=None):
    "Slices/s of the fork's way: DICOM -> PNG per slice, PNG -> replicated 3-channel input -> every fold."
    t0 = time.perf_counter()
    png = Path(work)/'png'; png.mkdir(parents=True, exist_ok=True)
    fns = sorted(Path(dicom_dir).rglob('*.dcm'))
    for fn in fns:                                   # step 1 of the fork: prepare_custom_data.py
        try: ds = read_dicom(fn); hu, _ = dcm_hu(ds)
        except Exception: continue
        cv2.imwrite(str(png/f'{fn.stem}.png'), dicom_window(hu, ds))
    pngs = sorted(png.glob('*.png'))
    preds = []
    models = [m for s in find_models(models_dir) for m in load_folds(s)]
    with torch.no_grad():                            # step 2: run_inference.py, same slice x3
        for i in range(0, len(pngs), bs):
            ims = [cv2.resize(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE), (size, size)) for p in pngs[i:i + bs]]
            x = torch.from_numpy(np.stack(ims)).float()[:, None].repeat(1, 3, 1, 1) / 255.
            x = (x - .456) / .224
            c = round(size * .8); o = (size - c) // 2
            x = F.interpolate(x[..., o:o + c, o:o + c], size=(size, size), mode='bilinear', align_corners=False)
            preds.append(torch.stack([torch.sigmoid(m(x)) for m in models]).mean(0))
    return len(pngs) / (time.perf_counter() - t0), len(pngs)

def ours(dicom_dir, models_dir, out, size=None, precision='auto', bs=8):
    t0 = time.perf_counter()
    rec = predict(dicom_dir, out, models_dir, tta='none', device='cpu', batch_size=bs, report=False, size=size, quiet=True, precision=precision)
    return rec['n_slices'] / (time.perf_counter() - t0), rec['n_slices']

def marginal(runs):
    "Slices/s above the fixed costs (model loading, start-up): from the best run at each of two series lengths."
    (n1, t1), (n2, t2) = [(n, n / r) for r, n in runs]
    return (n2 - n1) / (t2 - t1) if t2 > t1 else float('nan')

def demo_models():
    from ich_nbdev.testing import demo_cnn
    return demo_cnn()

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--slices', default='12,36', help='two series lengths: the marginal rate is the difference between them')
    p.add_argument('--px', type=int, default=512, help='DICOM image size')
    p.add_argument('--models', default='demo,DenseNet121_change_avg_512')
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--repeat', type=int, default=2)
    p.add_argument('--precision', default='auto', help="ich-predict's --precision (the fork ran fp32)")
    p.add_argument('--batch_size', type=int, default=8, help="ich-predict's batch (the fork reference: 8)")
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    tmp = Path(tempfile.mkdtemp())
    lengths = [int(x) for x in a.slices.split(',')]
    dirs = {}
    for n in lengths:
        make_synth(tmp/f'synth{n}', n_studies=1, n_test_studies=1, slices=(n, n), size=a.px, quirk_rate=0, n_corrupt=0)
        dirs[n] = tmp/f'synth{n}'/'stage_2_test'
    from ich_nbdev.embed import autocast_dtype
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; series of {lengths} slices at {a.px}px; no TTA, CPU; '
          f'ich-predict --precision {a.precision} (here: {autocast_dtype(a.precision, "cpu") or "fp32"}), batch {a.batch_size}; fork: fp32, batch 8')
    for name in a.models.split(','):
        if name == 'demo': models_dir, size = demo_models(), None
        else:
            arch, size = name.rsplit('_', 1); models_dir, size = tmp/f'm_{name}', int(size)
            fake_release(models_dir, {arch: size}, n_folds=1)
        spec = find_models(models_dir)
        desc = ', '.join(f'{s.name} x{len(s.files)} folds' for s in spec)
        best_ref, best_mine = [], []
        for n in lengths:
            refs, mines = [], []
            for r in range(a.repeat):
                refs.append(fork_reference(dirs[n], models_dir, spec[0].size, work=tmp/f'fork_{name}_{n}_{r}'))
                mines.append(ours(dirs[n], models_dir, tmp/f'out_{name}_{n}_{r}', precision=a.precision, bs=a.batch_size))
            best_ref.append(max(refs)); best_mine.append(max(mines))
            print(f'  {name} {n} slices: ich-predict {max(mines)[0]:.2f} slices/s, fork {max(refs)[0]:.2f} (all runs: ours {[round(m[0], 2) for m in mines]}, fork {[round(r[0], 2) for r in refs]})', flush=True)
        mr, mm = marginal(best_ref), marginal(best_mine)
        print(f'{name:28s} marginal slices/s: ich-predict {mm:6.2f}   fork reference {mr:6.2f}   ratio {mm / mr:5.2f}   [{desc}]', flush=True)
        if a.precision != 'fp32' and autocast_dtype(a.precision, 'cpu') is not None:   # the precision check: what autocast changes
            import pandas as pd
            ours(dirs[lengths[-1]], models_dir, tmp/f'fp32_{name}', precision='fp32', bs=a.batch_size)
            q = [pd.read_csv(tmp/d/'predictions_per_slice.csv').sort_values('image_id')[[f'cnn_{l}' for l in LABELS]].values
                 for d in (f'fp32_{name}', f'out_{name}_{lengths[-1]}_0')]
            x = np.abs(q[1] - q[0])
            print(f'  precision check, {a.precision} vs fp32 CNN probabilities: max |difference| {x.max():.2e}, mean {x.mean():.2e}', flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
