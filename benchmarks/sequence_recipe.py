"""The sequence stage alone under other settings, on a copy of a finished demo work dir (its CNN embeddings reused).

    python benchmarks/sequence_recipe.py WORK NAME '{"epochs": 20, "n_folds": 4}'   # one JSON line of figures

WORK: a demo work dir with the embeddings stage done (e.g. papermill_runs/work/demo). NAME: the copy's folder under
--out (links to WORK's inputs; only sequence/ is written). The JSON: parameters of `sequence_stage` over
`DEMO_SEQ`. Prints the sequence model's and the CNN's out-of-fold wll (the CNN: the mean of the feature models'
out-of-fold probabilities the sequence model reads), their ratio, AUC(any) of both, the best epoch of each fold, and the
seconds (one torch thread unless --threads).
"""
import argparse, json, time
from pathlib import Path
import torch
from sklearn.metrics import roc_auc_score
import pandas as pd
from ich_nbdev.core import WD
from ich_nbdev.data import link_work
from ich_nbdev.sequence import sequence_stage, load_seq_data, DEMO_SEQ

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('work'); ap.add_argument('name'); ap.add_argument('params', nargs='?', default='{}')
ap.add_argument('--out', default='papermill_runs/work/sequence_recipe'); ap.add_argument('--threads', type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
cfg = json.loads(a.params)
dst = link_work(a.work, Path(a.out)/a.name, skip=(WD.seq, WD.submission, WD.scores))
t0 = time.time()
s = sequence_stage(dst, quiet=True, force=True, **{**DEMO_SEQ, **cfg})
oof = load_seq_data(dst)
pr = pd.read_parquet(dst/WD.seq/WD.seq.oof_preds).set_index('image_id').loc[oof.ids]
auc_s, auc_c = roc_auc_score(oof.y[:, -1], pr['any']), roc_auc_score(oof.y[:, -1], oof.probs.mean(1)[:, -1])
print(json.dumps(dict(name=a.name, params=cfg, seconds=round(time.time() - t0), seq_wll=round(s['oof_wll'], 4),
                      cnn_wll=round(s['cnn_mean_oof_wll'], 4), ratio=round(s['oof_wll'] / s['cnn_mean_oof_wll'], 3),
                      seq_auc=round(auc_s, 4), cnn_auc=round(auc_c, 4), best_epochs=[f['best_epoch'] for f in s['folds']])))
