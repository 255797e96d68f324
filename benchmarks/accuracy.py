"""Out-of-fold accuracy of the whole pipeline on a synthetic benchmark set: constant prior vs best CNN vs sequence model.

Builds (once, cached, resumable) a synthetic RSNA 2019 set with `ich_nbdev.synth.make_synth` at a fixed seed, then
runs the project's own stage functions on it: `preprocess`, `train_cnn` (every fold), `embed` (OOF features and
probabilities with TTA), `sequence_stage`. Nothing of a stage is re-implemented here; this script only scores
the out-of-fold predictions the stages wrote, all on the same labelled slices, with the Kaggle metric.

Baselines (the model-free references):
- fold-wise prior: every validation slice gets the label frequencies of its fold's *training* slices. This is
  what a model that learned nothing predicts out of fold, so it is the honest baseline of OOF predictions.
  The CNN is compared with the prior of the CNN folds, the sequence model with the prior of its own folds.
- in-sample global prior: the label frequencies of all slices (uses the validation labels; printed for reference).

Targets: sequence model <= 0.85 x best single CNN, and both below their fold-wise prior. Exits 1 when missed.

    python benchmarks/accuracy.py            # defaults = the recorded run (benchmarks/RESULTS.md)
"""
import argparse, json, os, sys, time
from pathlib import Path
import numpy as np, pandas as pd


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    a = p.add_argument
    a('--out', default='.cache/ich_nbdev/accuracy', help='folder of the data set (data/) and the work dir (work/)')
    # the synthetic set
    a('--n_studies', type=int, default=200); a('--n_test_studies', type=int, default=10)
    a('--slices', type=int, nargs=2, default=(20, 28)); a('--synth_size', type=int, default=128, help='DICOM matrix size')
    a('--seed', type=int, default=2019); a('--pos_rate', type=float, default=0.14)
    a('--prep_size', type=int, default=128, help='preprocessed (stored) image size')
    # the CNN stage (ich_nbdev.train.fold_settings)
    a('--backbone', default='resnet10t'); a('--size', type=int, default=64)
    a('--n_folds', type=int, default=3); a('--epochs', type=int, default=6); a('--bs', type=int, default=32)
    a('--lr', type=float, default=3e-3); a('--loss', default='weighted_bce'); a('--schedule', default='one_cycle')
    a('--mode', default='context'); a('--sampler', action='store_true')
    a('--tta', type=int, default=2, help='test-time views of the embedding stage')
    # the sequence stage (ich_nbdev.sequence.SEQ_DEFAULTS)
    a('--seq_folds', type=int, default=3); a('--seq_epochs', type=int, default=40); a('--seq_bs', type=int, default=8)
    a('--seq_lr', type=float, default=1e-3)
    # run
    a('--threads', type=int, default=1, help='torch threads (1 is much faster than 2 on a shared 2-core machine)')
    a('--workers', type=int, default=2, help='preprocessing processes')
    a('--target', type=float, default=0.85, help='largest allowed sequence / best-CNN ratio')
    return p.parse_args(argv)


def fold_prior(y, fold) -> np.ndarray:
    "Per row: the mean labels of the rows of the other folds (the constant a model trained on them without learning gives)."
    out = np.empty_like(y, dtype=np.float64)
    for k in np.unique(fold): out[fold == k] = y[fold != k].mean(0)
    return out


def run_stages(a, data, work, log):
    "Run (or resume) every stage with the project's functions; returns the timings in seconds."
    from ich_nbdev.synth import make_synth
    from ich_nbdev.preprocess import preprocess
    from ich_nbdev.train import train_cnn
    from ich_nbdev.embed import embed
    from ich_nbdev.sequence import sequence_stage
    t = {}
    def timed(name, f, *args, **kw):
        t0 = time.time(); log(f'-- {name} ...'); r = f(*args, **kw); t[name] = round(time.time() - t0, 1)
        log(f'-- {name} done in {t[name]} s'); return r
    s = timed('synth', make_synth, data, n_studies=a.n_studies, n_test_studies=a.n_test_studies, slices=tuple(a.slices),
              size=a.synth_size, seed=a.seed, pos_rate=a.pos_rate)
    log(f"   {s['n_train']} train + {s['n_test']} test slices, {s['n_series']} series, positive rate {s['pos_rate']:.3f}")
    timed('preprocess', preprocess, data, work, size=a.prep_size, n_workers=a.workers, progress=False)
    cnn_kw = dict(backbone=a.backbone, size=a.size, n_folds=a.n_folds, epochs=a.epochs, bs=a.bs, lr=a.lr, loss=a.loss,
                  schedule=a.schedule, mode=a.mode, sampler=a.sampler, seed=a.seed, profile='demo')
    timed('train_cnn', train_cnn, work, **cnn_kw)
    timed('embed', embed, work, backbone=a.backbone, size=a.size, n_folds=a.n_folds, tta=a.tta)
    timed('sequence', sequence_stage, work, quiet=True, n_folds=a.seq_folds, epochs=a.seq_epochs, bs=a.seq_bs, lr=a.seq_lr,
          seed=a.seed)
    return t, cnn_kw


def evaluate(a, work) -> dict:
    "Every figure on the same labelled slices: priors, CNN (training-stage centre crop and embedding-stage TTA), sequence."
    from ich_nbdev.core import LABELS, WD
    from ich_nbdev.metrics import weighted_log_loss, safe_auc
    from ich_nbdev.train import oof_predictions
    from ich_nbdev.embed import load_embeddings
    lab = pd.read_parquet(work/WD.labels).merge(pd.read_parquet(work/WD.folds)[['image_id', 'fold']], on='image_id', validate='1:1')
    seq = pd.read_parquet(work/WD.seq/WD.seq.oof_preds).set_index('image_id')
    cnn = oof_predictions(work, a.backbone, a.size, a.n_folds).set_index('image_id')
    emb = load_embeddings(work, a.backbone, a.size)
    tta = pd.DataFrame(emb['oof_probs'], columns=LABELS, index=emb['oof_index'].image_id.values)
    ids = lab.image_id.values
    for name, d in [('sequence', seq), ('cnn', cnn), ('embed', tta)]:
        miss = np.setdiff1d(ids, d.index)
        if len(miss): raise SystemExit(f'{name} OOF predictions miss {len(miss)} labelled slices, e.g. {list(miss[:3])}')
    y = lab[LABELS].values.astype(np.float64)
    preds = {'prior, fold-wise (CNN folds)': fold_prior(y, lab.fold.values),
             'prior, fold-wise (sequence folds)': fold_prior(y, seq.loc[ids, 'fold'].values),
             'prior, global in-sample (reference only)': np.broadcast_to(y.mean(0), y.shape),
             f'CNN {a.backbone}@{a.size}, centre crop (train stage)': cnn.loc[ids, LABELS].values,
             f'CNN {a.backbone}@{a.size}, TTA x{a.tta} (embed stage)': tta.loc[ids, LABELS].values,
             'sequence model': seq.loc[ids, LABELS].values}
    rows = {k: dict(wll=weighted_log_loss(y, p), auc_any=safe_auc(y[:, -1], p[:, -1]),
                    auc_mean=float(np.nanmean([safe_auc(y[:, c], p[:, c]) for c in range(len(LABELS))])),
                    pred_any_std=float(np.std(p[:, -1]))) for k, p in preds.items()}
    n_series = pd.read_parquet(work/WD.slices).set_index('image_id').loc[ids, 'group_id'].nunique()
    return dict(n_slices=len(ids), n_series=int(n_series), pos_rate=float(y[:, -1].mean()), rows=rows)


def report(a, res, log) -> bool:
    r = res['rows']
    k_cnn = [k for k in r if k.startswith('CNN')]
    best = min(k_cnn, key=lambda k: r[k]['wll'])
    cnn, seq = r[best]['wll'], r['sequence model']['wll']
    p_cnn, p_seq = r['prior, fold-wise (CNN folds)']['wll'], r['prior, fold-wise (sequence folds)']['wll']
    log(f"\nOOF weighted log loss on {res['n_slices']} labelled slices of {res['n_series']} series (positive rate {res['pos_rate']:.3f})")
    log(f"{'predictions':<60} {'wll':>8} {'AUC any':>8} {'mean AUC':>9} {'std p(any)':>11}")
    for k, v in r.items():
        log(f"{k + (' <- best CNN' if k == best else ''):<60} {v['wll']:8.4f} {v['auc_any']:8.3f} {v['auc_mean']:9.3f} {v['pred_any_std']:11.4f}")
    checks = [(f'sequence / best CNN = {seq / cnn:.3f}', seq / cnn, f'<= {a.target}', seq <= a.target * cnn),
              (f'best CNN / fold-wise prior (CNN folds) = {cnn / p_cnn:.3f}', cnn / p_cnn, '< 1', cnn < p_cnn),
              (f'sequence / fold-wise prior (sequence folds) = {seq / p_seq:.3f}', seq / p_seq, '< 1', seq < p_seq)]
    log('')
    for text, _, want, ok in checks: log(f"{text:<60} target {want:<6} {'met' if ok else 'MISSED'}")
    g = r['prior, global in-sample (reference only)']['wll']
    log(f"(reference, no target: best CNN / global in-sample prior = {cnn / g:.3f}, sequence / global in-sample prior = {seq / g:.3f})")
    res['ratios'] = {t.split(' = ')[0]: float(v) for t, v, _, _ in checks}
    res['best_cnn'], res['targets_met'] = best, all(ok for *_, ok in checks)
    return res['targets_met']


def git_state() -> str:
    "Commit of the checkout, and whether library files differed from it."
    import subprocess
    run = lambda *c: subprocess.run(['git', *c], capture_output=True, text=True, cwd=Path(__file__).parent).stdout.strip()
    dirty = [l[3:] for l in run('status', '--porcelain').splitlines() if l[3:].startswith(('ich_nbdev/', 'nbs/'))]
    return run('rev-parse', '--short', 'HEAD') + (f" + local changes in {', '.join(dirty)}" if dirty else '')


def main(argv=None):
    a = parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    from fastai.learner import defaults
    from fastai.callback.progress import ProgressCallback
    defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]   # epoch rows only, no bars
    out = Path(a.out); data, work = out/'data', out/'work'
    out.mkdir(parents=True, exist_ok=True)
    def log(*s):
        print(*s, flush=True)
    t0 = time.time()
    log(f'accuracy benchmark: {" ".join(sys.argv)}\ncheckout: {git_state()}\nsettings: {vars(a)}\ntorch {torch.__version__}, {torch.get_num_threads()} thread(s)')
    times, cnn_kw = run_stages(a, data, work, log)
    res = evaluate(a, work)
    ok = report(a, res, log)
    times['total'] = round(time.time() - t0, 1)
    log(f"\nstage seconds: {times}  (load average {os.getloadavg()[0]:.1f} at the end)")
    res.update(settings=vars(a), cnn_settings=cnn_kw, seconds=times, command=' '.join(sys.argv), git=git_state())
    (out/'accuracy.json').write_text(json.dumps(res, indent=1, default=str))
    log(f"{'all targets met' if ok else 'TARGETS MISSED'}; figures in {out/'accuracy.json'}")
    return 0 if ok else 1


if __name__ == '__main__': sys.exit(main())
