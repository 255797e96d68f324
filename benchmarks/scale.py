"""Time and peak memory of every table stage at fractions of the Kaggle size, and the CNN loader's rate per core.

Synthetic work dirs of 1/100 and 1/10 (and, with `--full`, the whole) Kaggle RSNA 2019 size (752,803 train +
121,232 test slices, 21,744 + 3,518 series, a 4.5-million-row label CSV, embeddings of the three backbones'
widths 1024/1664/2048) are built with the project's own writers: record parts as preprocessing flushes them
(500 records a part), `_tables`, `make_labels`, `make_folds`, `embed._save_embeddings`, the sequence stage's
prediction frames, a sample submission CSV. Their storage columns point at a small real image store (the demo
DICOM data preprocessed at 512 px, the `dicom` window: the `rsna2019` profile's store).

Each stage then runs in a fresh Python process with one thread (OMP/MKL/torch threads = 1):
- seconds: wall time of the stage call (reading its inputs from disk included; imports and the set-up of
  in-memory inputs noted below excluded), cpu: CPU seconds of the process over the same span;
- peak: the highest RSS of the process during the stage (VmHWM, reset just before the stage through
  /proc/self/clear_refs): it INCLUDES the imports (~0.5-0.8 GB of torch/fastai/pandas) and any input the
  stage is handed in memory; base: the RSS just before the stage (the part of `peak` that was there already).
- growth: log(CPU seconds ratio) / log(size ratio) between the two largest sizes run (1 = linear); CPU
  seconds, as wall seconds on a shared machine follow its load.

Stages: preprocess merge (`_load_parts` + `_tables`, as `preprocess` runs them at the merge), labels
(`make_labels` from the CSV), folds (`make_folds`), slice_dls (fold 0 `slice_dls` with the sampler, one batch),
embed write (`_save_embeddings` at D=2048; its five float32 fold arrays are handed in memory: in `base`),
embed load (`load_embeddings` at D=2048, `load_embedding` of all three), seq oof / seq test (`load_seq_data`:
`gather_inputs` + `SeqData`), seq epoch (folds, fold-0 `seq_dls`, one pass over its training and validation
batches), seq predict (`predict_series` of one untrained `SequenceModel` over the test series, its frame
written), submit (`submit_stage`: validated submission, score table, figure), predict tables (`per_slice_table`,
`per_series_table` and the three CSVs of `predict` on the test slices).

    python benchmarks/scale.py                  # 1/100 and 1/10 (minutes)
    python benchmarks/scale.py --full           # and the full size (estimated: ~10 GB of disk, ~9 GB of RAM at the build)
    python benchmarks/scale.py --loader         # the CNN loader figure only
"""
import argparse, json, math, os, shutil, subprocess, sys, time
from pathlib import Path

FULL = dict(train=752_803, test=121_232, train_series=21_744, test_series=3_518)
WIDTHS = {'DenseNet121_change_avg': (512, 1024), 'DenseNet169_change_avg': (256, 1664), 'se_resnext101_32x4d': (256, 2048)}
STAGES = ['preprocess_merge', 'labels', 'folds', 'slice_dls', 'embed_write', 'embed_load', 'seq_oof', 'seq_test',
          'seq_epoch', 'seq_predict', 'submit', 'predict_tables']
PART = 500   # records per part file, as preprocessing flushes them

def one_thread():
    for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'): os.environ[v] = '1'

def _status(key):
    for l in open('/proc/self/status'):
        if l.startswith(key): return int(l.split()[1]) / 2**20   # GB
    return float('nan')

def reset_peak():
    "Reset VmHWM (the process's peak RSS) to the current RSS; False where the kernel does not allow it."
    try:
        with open('/proc/self/clear_refs', 'w') as f: f.write('5')
        return True
    except OSError: return False

# ---------------------------------------------------------------- the small real image store
def small_store(root) -> Path:
    "The demo DICOM data preprocessed at 512 px, `dicom` window only (cached under `root`)."
    from ich_nbdev.core import WD
    from ich_nbdev.preprocess import preprocess
    from ich_nbdev.synth import demo_data
    w = Path(root)/'store512'
    if not (w/WD.slices).exists(): preprocess(demo_data(), w, size=512, windows=('dicom',), n_workers=2, progress=False)
    return w

# ---------------------------------------------------------------- building a work dir
def sizes_of(frac):
    return {k: max(4 if 'series' in k else 40, round(v * frac)) for k, v in FULL.items()}

def records(n, n_series, split, store_sl, rng, root, tag):
    "Preprocessing records of `n` slices in `n_series` series (rows in file order), storage pointing at `store_sl`'s images."
    import numpy as np, pandas as pd
    ser = np.sort(np.arange(n) % n_series)                        # series sizes n // n_series (+1)
    k = np.concatenate([np.arange(c) for c in np.bincount(ser)])  # slice number in its series
    study = ser; patient = (ser * 0.87).astype(int)               # ~1.15 series a patient, one series a study
    uid = lambda p, a: np.char.add(f'1.2.{tag}.{p}.', a.astype(str)).astype(object)
    img = np.array([f'ID_{tag}{i:09x}' for i in range(n)], object)
    z0 = rng.normal(0, 30, n_series)
    src = rng.integers(0, len(store_sl), n)
    df = pd.DataFrame(dict(
        path=np.char.add(f'{root}/{split}/', np.char.add(img.astype(str), '.dcm')).astype(object), status='ok', reason='',
        shard=store_sl.shard.to_numpy()[src], offset=store_sl.offset.to_numpy(np.float64)[src],
        nbytes=store_sl.nbytes.to_numpy(np.float64)[src], sop_uid=uid('sop', np.arange(n)), patient_id=uid('pat', patient),
        study_uid=uid('stu', study), series_uid=uid('ser', ser), position=z0[ser] + 5. * k, order_source='ipp',
        slice_location=np.nan, instance_number=k + 1., rows=512., cols=512., pixel_spacing=.45, slice_thickness=5.,
        rescale_intercept=-1024., rescale_slope=1., window_center=40., window_width=80., quirks=''))
    return df.iloc[rng.permutation(n)].reset_index(drop=True)     # files come in no particular order

def build(work, frac, store, seed=0):
    "A work dir of `frac` x the Kaggle size, made with the project's writers."
    import numpy as np, pandas as pd
    from ich_nbdev.core import WD, KAGGLE, LABELS, N_CLASSES, save_df, save_json, wpath
    from ich_nbdev.preprocess import load_slices, _tables, _PARTS, _load_parts
    from ich_nbdev.data import make_labels, make_folds
    from ich_nbdev.embed import _save_embeddings, emb_dir, embed_data
    from ich_nbdev.sequence import _frame
    work, rng, n = Path(work), np.random.default_rng(seed), sizes_of(frac)
    (work/WD.images).mkdir(parents=True, exist_ok=True)
    for f in (store/WD.images).iterdir():
        if not (work/WD.images/f.name).exists(): (work/WD.images/f.name).symlink_to(f.resolve())
    ssl = load_slices(store)
    kag = work/'kaggle'
    rec = pd.concat([records(n['train'], n['train_series'], KAGGLE.train_dir, ssl, rng, kag, 'a'),
                     records(n['test'], n['test_series'], KAGGLE.test_dir, ssl, rng, kag, 'b')], ignore_index=True)
    for i in range(0, len(rec), PART): save_df(rec.iloc[i:i + PART], wpath(work, _PARTS, f'part-{i // PART:06d}-all-0-bench.parquet'))
    save_df(pd.DataFrame(dict(path=rec.path)), work/'files.parquet')
    del rec
    slices, fails = _tables(_load_parts(work, pd.read_parquet(work/'files.parquet').path.tolist()), 'series')
    save_df(slices, work/WD.slices); save_df(fails, work/WD.failures)
    tr = slices[slices.split == 'train']
    y = (rng.random((len(tr), N_CLASSES - 1)) < .03).astype(int); y = np.c_[y, y.max(1)]
    ids = tr.image_id.to_numpy().astype(str)
    save_df(pd.DataFrame(dict(ID=np.char.add(np.repeat(ids, N_CLASSES), np.tile(np.char.add('_', LABELS), len(ids))),
                              Label=y.ravel())), work/KAGGLE.train_csv)
    make_labels(work, work/KAGGLE.train_csv); make_folds(work)
    data, test_ids = embed_data(work, {}), slices.image_id[slices.split == 'test'].to_numpy()
    for bb, (size, D) in WIDTHS.items():
        oof = [(va[['image_id', 'fold']], rng.standard_normal((len(va), D), np.float32), rng.random((len(va), N_CLASSES), np.float32), {})
               for _, va in data.groupby('fold')]
        tf, tp = rng.standard_normal((len(test_ids), D), np.float32), rng.random((len(test_ids), N_CLASSES), np.float32)
        _save_embeddings(work, emb_dir(work, bb, size), dict(backbone=bb, size=size, n_folds=5, tta=10), data, oof, test_ids, tf, tp, 0.)
        del oof, tf, tp
    lab = pd.read_parquet(work/WD.labels)
    save_df(_frame(lab.image_id.to_numpy(), rng.random((len(lab), N_CLASSES), np.float32), fold=data.set_index('image_id').fold.loc[lab.image_id].to_numpy()),
            wpath(work, WD.seq, WD.seq.oof_preds))
    save_df(_frame(test_ids, rng.random((len(test_ids), N_CLASSES), np.float32)), wpath(work, WD.seq, WD.seq.test_preds))
    save_df(pd.DataFrame(dict(ID=np.char.add(np.repeat(test_ids.astype(str), N_CLASSES), np.tile(np.char.add('_', LABELS), len(test_ids))),
                              Label=.5)), work/KAGGLE.sample_sub)
    save_json(dict(frac=frac, **n), work/'bench.json')

# ---------------------------------------------------------------- the stages (set-up, then the timed call)
def stage(name, work):
    "`(setup, run)` of stage `name`: `setup()` builds in-memory inputs (not timed), `run(inputs)` is the stage."
    import numpy as np, pandas as pd, torch
    from ich_nbdev.core import WD, KAGGLE, LABELS, N_CLASSES, save_df
    work = Path(work)
    nothing = lambda: None
    if name == 'preprocess_merge':
        from ich_nbdev.preprocess import _tables, _load_parts
        def run(_):
            files = pd.read_parquet(work/'files.parquet').path.tolist()
            slices, fails = _tables(_load_parts(work, files), 'series')
            save_df(slices, work/'bench_slices.parquet'); save_df(fails, work/'bench_failures.csv')
        return nothing, run
    if name == 'labels':
        from ich_nbdev.data import make_labels
        return nothing, lambda _: make_labels(work, work/KAGGLE.train_csv, force=True)
    if name == 'folds':
        from ich_nbdev.data import make_folds
        return nothing, lambda _: make_folds(work, force=True)
    if name == 'slice_dls':
        from ich_nbdev.data import slice_dls
        def run(_):
            dls = slice_dls(work, fold=0, size=256, bs=16, mode='context', sampler=True, device='cpu')
            dls.train.one_batch()
        return nothing, run
    if name == 'embed_write':
        from ich_nbdev.embed import _save_embeddings, embed_data
        def setup():
            rng, data = np.random.default_rng(1), embed_data(work, {})
            test_ids = pd.read_parquet(work/WD.emb/'se_resnext101_32x4d_256'/WD.emb.test_index).image_id.to_numpy()
            oof = [(va[['image_id', 'fold']], rng.standard_normal((len(va), 2048), np.float32), rng.random((len(va), N_CLASSES), np.float32), {})
                   for _, va in data.groupby('fold')]
            return data, oof, test_ids, rng.standard_normal((len(test_ids), 2048), np.float32), rng.random((len(test_ids), N_CLASSES), np.float32)
        def run(inp):
            data, oof, test_ids, tf, tp = inp
            _save_embeddings(work, work/'bench_embed', dict(backbone='bench', size=256, n_folds=5, tta=10), data, oof, test_ids, tf, tp, 0.)
        return setup, run
    if name == 'embed_load':
        from ich_nbdev.embed import load_embeddings
        from ich_nbdev.embed import embedding_names, load_embedding
        def run(_):
            e = load_embeddings(work, 'se_resnext101_32x4d', 256)
            for n in embedding_names(work): load_embedding(work, n, 'oof'); load_embedding(work, n, 'test')
            return e
        return nothing, run
    if name in ('seq_oof', 'seq_test'):
        from ich_nbdev.sequence import load_seq_data
        return nothing, lambda _: load_seq_data(work, split=name[4:])
    if name == 'seq_epoch':
        from ich_nbdev.sequence import load_seq_data, seq_folds, seq_dls
        def run(_):
            data = load_seq_data(work)
            folds = seq_folds(data, 10)
            dls = seq_dls(data, np.flatnonzero(folds != 0), np.flatnonzero(folds == 0), bs=128)
            for dl in (dls.train, dls.valid):
                for b in dl: pass
        return nothing, run
    if name == 'seq_predict':
        from ich_nbdev.sequence import load_seq_data, SequenceModel, predict_series, _frame
        def run(_):
            data = load_seq_data(work, split='test')
            torch.manual_seed(0)
            model = SequenceModel(data.feats.shape[2], data.feats.shape[1], data.probs.shape[1])
            rows, p = predict_series(model, data)
            save_df(_frame(data.ids[rows], p), work/'bench_seq_test.parquet')
        return nothing, run
    if name == 'submit':
        from ich_nbdev.submit import submit_stage
        return nothing, lambda _: submit_stage(work, work/KAGGLE.sample_sub)
    if name == 'predict_tables':
        from ich_nbdev.predict import per_slice_table, per_series_table
        from ich_nbdev.submit import write_submission
        from ich_nbdev.preprocess import load_slices
        def run(_):
            sl = load_slices(work); sl = sl[sl.split == 'test'].reset_index(drop=True)
            rng = np.random.default_rng(0)
            ps = per_slice_table(sl, rng.random((len(sl), N_CLASSES), np.float32), rng.random((len(sl), N_CLASSES), np.float32))
            pser = per_series_table(ps)
            save_df(ps, work/'bench_per_slice.csv'); save_df(pser, work/'bench_per_series.csv')
            write_submission(ps[['image_id', *LABELS]], work/'bench_predictions.csv')
        return nothing, run
    raise ValueError(f'unknown stage {name!r}')

def run_stage(name, work):
    "Child side: set up, reset the peak, run, report JSON on the last line of stdout."
    import torch; torch.set_num_threads(1)
    setup, run = stage(name, work)
    inp = setup()
    base, ok = _status('VmRSS'), reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    run(inp)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps(dict(stage=name, seconds=dt, cpu=dc, peak=_status('VmHWM'), base=base, peak_reset=ok)))

def child(args, work, log):
    "Run `args` of this script in a fresh one-thread process; its last stdout line (JSON), else an error record."
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1'}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, __file__, *args, '--work', str(work)], capture_output=True, text=True, env=env)
    with open(log, 'a') as f: f.write(f'$ {" ".join(args)} ({time.perf_counter() - t0:.1f} s)\n{p.stdout}{p.stderr}\n')
    if p.returncode: return dict(error=(p.stderr.strip().splitlines() or ['?'])[-1])
    return json.loads(p.stdout.strip().splitlines()[-1])

# ---------------------------------------------------------------- the loader figure
def loader_figure(root, n_batches=12, bs=32):
    "Items/s on one core of the fold-0 training loader (512 px store, 256 px model): the worker's part, and with the batch transforms."
    import numpy as np, torch
    torch.set_num_threads(1)
    from ich_nbdev.data import slice_dls
    work = Path(root)/'frac0.01'
    dls = slice_dls(work, fold=0, size=256, bs=bs, mode='context', sampler=True, device='cpu')
    dl = dls.train
    res = {}
    for what in ('items', 'items+batch_tfms'):
        it, n, c = iter(dl), 0, 0.
        next(it)   # warm-up: first batch opens the shard files
        for _ in range(n_batches):
            c0 = time.process_time()
            if what == 'items':   # what a loader worker does: the items of one batch read and collated
                b = dl.create_batch([dl.do_item(int(i)) for i in np.random.randint(0, len(dl.dataset), bs)])
            else: b = next(it)
            c += time.process_time() - c0; n += bs
        res[what] = n / c
    return res

# ---------------------------------------------------------------- report
def table(results, fracs):
    "Markdown table: CPU seconds and peak RSS per size, growth of the CPU seconds between the two largest sizes."
    heads = ['stage'] + [f'{h} @{fr:g}' for fr in fracs for h in ('cpu s', 'wall s', 'peak GB')] + ['growth', f'base GB @{fracs[-1]:g}']
    print('| ' + ' | '.join(heads) + ' |'); print('|' + '---|' * len(heads))
    for st in STAGES:
        row, secs = [st], []
        for fr in fracs:
            r = results.get((st, fr), {})
            if 'cpu' in r: row += [f"{r['cpu']:.2f}", f"{r['seconds']:.2f}", f"{r['peak']:.2f}"]; secs.append(r['cpu'])
            else: row += [r.get('error', '-')[:40], '', '']; secs.append(None)
        g = '-'
        if len(fracs) > 1 and secs[-1] and secs[-2]: g = f'{math.log(secs[-1] / secs[-2]) / math.log(fracs[-1] / fracs[-2]):.2f}'
        last = results.get((st, fracs[-1]), {})
        row += [g, f"{last['base']:.2f}" if 'base' in last else '-']
        print('| ' + ' | '.join(row) + ' |')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', default='/tmp/ich_scale', help='where the work dirs are built (kept for reruns)')
    ap.add_argument('--fracs', default='0.01,0.1', help='fractions of the Kaggle size')
    ap.add_argument('--full', action='store_true', help='add the full size (1.0)')
    ap.add_argument('--stages', default=','.join(STAGES))
    ap.add_argument('--rebuild', action='store_true', help='build the work dirs again')
    ap.add_argument('--loader', action='store_true', help='only the loader figure')
    ap.add_argument('--gpu-rate', type=float, default=3000., help='images/s of the GPU the loader feeds')
    ap.add_argument('--run-stage'); ap.add_argument('--build', type=float); ap.add_argument('--work')
    a = ap.parse_args()
    one_thread()
    if a.run_stage: return run_stage(a.run_stage, a.work)
    if a.build is not None:
        t0 = time.perf_counter(); build(a.work, a.build, small_store(Path(a.work).parent))
        return print(json.dumps(dict(stage='build', seconds=time.perf_counter() - t0, peak=_status('VmHWM'), base=0.)))
    root = Path(a.root); root.mkdir(parents=True, exist_ok=True)
    log = root/'scale.log'
    fracs = [float(f) for f in a.fracs.split(',')] + ([1.0] if a.full else [])
    if a.loader: fracs = [0.01]
    for fr in fracs:
        w = root/f'frac{fr:g}'
        if a.rebuild: shutil.rmtree(w, ignore_errors=True)
        if not (w/'bench.json').exists():
            r = child(['--build', str(fr)], w, log)
            print(f'built {w}: {r}', flush=True)
    if a.loader:
        import subprocess as sp
        r = json.loads(sp.run([sys.executable, '-c', f'import sys; sys.argv=[""]; sys.path.insert(0, {str(Path(__file__).parent)!r}); '
                               f'import scale, json; print(json.dumps(scale.loader_figure({str(root)!r})))'],
                              capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': '1'}, check=True).stdout.splitlines()[-1])
        for k, v in r.items(): print(f'{k}: {v:.0f} items per CPU-second -> {math.ceil(a.gpu_rate / v)} loader cores for {a.gpu_rate:g} images/s')
        return
    results = {}
    for fr in fracs:
        for st in a.stages.split(','):
            results[(st, fr)] = r = child(['--run-stage', st], root/f'frac{fr:g}', log)
            print(f'{fr:g} {st}: {r}', flush=True)
    json.dump({f'{k[0]}@{k[1]:g}': v for k, v in results.items()}, open(root/'results.json', 'w'), indent=1)
    table(results, fracs)

if __name__ == '__main__': main()
