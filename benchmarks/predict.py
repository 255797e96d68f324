"""CPU slices/s of `ich-predict` end to end (DICOM folder in, CSVs out) vs the inference fork's approach.

Reference in the same run, on the same files: the fork converted each DICOM to a PNG (own window),
read the PNGs back and fed the same slice three times to the model (one slice per channel), with no
neighbour context and no sequence model. Both sides run the same models, one view (no TTA), no
figures, batch 8, on the CPU; the reference includes the PNG conversion the fork needed.

    python benchmarks/predict.py --slices 24 --models demo,DenseNet121_change_avg_512 --repeat 2

Each side runs `--repeat` times, alternating, from scratch (fresh output folders, so preprocessing is redone);
the best run of each side is reported (the development machine is shared: the best run is the least disturbed).
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

def ours(dicom_dir, models_dir, out, size=None):
    t0 = time.perf_counter()
    rec = predict(dicom_dir, out, models_dir, tta='none', device='cpu', batch_size=8, report=False, size=size, quiet=True)
    return rec['n_slices'] / (time.perf_counter() - t0), rec['n_slices']

def demo_models():
    from ich_nbdev.testing import demo_cnn
    return demo_cnn()

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--slices', type=int, default=24, help='slices of the synthetic series')
    p.add_argument('--px', type=int, default=512, help='DICOM image size')
    p.add_argument('--models', default='demo,DenseNet121_change_avg_512')
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--repeat', type=int, default=2)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    tmp = Path(tempfile.mkdtemp())
    make_synth(tmp/'synth', n_studies=1, n_test_studies=1, slices=(a.slices, a.slices), size=a.px, quirk_rate=0, n_corrupt=0)
    dicom_dir = tmp/'synth'/'stage_2_test'
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; {a.slices} slices of {a.px}px; batch 8, no TTA, CPU')
    for name in a.models.split(','):
        if name == 'demo': models_dir, size = demo_models(), None
        else:
            arch, size = name.rsplit('_', 1); models_dir, size = tmp/f'm_{name}', int(size)
            fake_release(models_dir, {arch: size}, n_folds=1)
        spec = find_models(models_dir)
        desc = ', '.join(f'{s.name} x{len(s.files)} folds' for s in spec)
        refs, mines = [], []
        for r in range(a.repeat):
            refs.append(fork_reference(dicom_dir, models_dir, spec[0].size, work=tmp/f'fork_{name}_{r}'))
            mines.append(ours(dicom_dir, models_dir, tmp/f'out_{name}_{r}'))
        (ref, n_ref), (mine, n) = max(refs), max(mines)
        print(f'{name:28s} ich-predict {mine:6.2f} slices/s ({n})   fork reference {ref:6.2f} slices/s ({n_ref})   '
              f'ratio {mine / ref:5.2f}   [{desc}]   all runs: ours {[round(m[0], 2) for m in mines]}, fork {[round(r[0], 2) for r in refs]}')
    shutil.rmtree(tmp, ignore_errors=True)
