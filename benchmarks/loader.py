"""Item lookup rate of the CNN data pipeline at a large slice index, and CPU training images/s of the demo backbone.

1. Lookup: an item of the 2D CNN is three neighbouring slices plus six labels. `ich_nbdev.data` finds them by
   store row (O(1): `SliceImage` + `SliceLabel` over `ImageStore`'s precomputed neighbours). The reference
   does what the original data set class did per item: filter the whole table for the image, filter it again
   for the study, sort by position, find the neighbours, filter for each neighbour's row and for the labels.
   Reported twice: the lookup alone (which rows, which labels), and the whole item, where both read the
   same three slices through `preprocess.ImageStore` (the index's rows point at the demo store's images).
2. Training: images/s of a fastai `Learner` training epoch of the demo backbone over `slice_dls` of the
   demo work dir (store reads, augmentation, crop and normalisation included), and, as reference in the
   same run, bare forward/backward/step on a ready tensor batch: the ratio shows what the pipeline costs.

    python benchmarks/loader.py --n 100000 --items 2000 --size 64 --bs 32
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from ich_nbdev.core import LABELS, WD
from ich_nbdev.models import DEMO_ARCH, create_model

def fake_index(n, per_series=40, seed=0):
    "A `n`-slice table in series of `per_series` (sorted by series and position) over the demo store's images, and labels."
    from ich_nbdev.preprocess import load_slices
    from ich_nbdev.testing import demo_work
    work = demo_work()
    rng, demo = np.random.default_rng(seed), load_slices(work)
    g = np.arange(n) // per_series
    sl = demo.iloc[np.arange(n) % len(demo)].reset_index(drop=True).assign(   # storage columns point at real images
        image_id=[f'ID_{i:09x}' for i in range(n)], study_uid=[f's{k}' for k in g], group_id=[f's{k}' for k in g],
        slice_idx=np.arange(n) % per_series, n_slices=per_series, position=(np.arange(n) % per_series) * 5.,
        patient_id=[f'p{k}' for k in g], split='train')
    lab = pd.DataFrame((rng.random((n, 6)) < .1).astype(np.int8), columns=LABELS).assign(image_id=sl.image_id, idx=np.arange(n))
    return work, sl, lab

def reference_rows(df, image_id):
    "The original's per-item lookup: whole-table filters for the row, its study, the neighbours and the labels."
    row = df[df.image_id == image_id]
    study = df[df.study_uid == row.study_uid.iloc[0]].sort_values('position')
    ids = study.image_id.tolist(); k = ids.index(image_id)
    nb = [ids[max(k - 1, 0)], image_id, ids[min(k + 1, len(ids) - 1)]]
    rows = [int(np.flatnonzero(df.image_id.values == i)[0]) for i in nb]
    return rows, df.loc[df.image_id == image_id, LABELS].values[0].astype(np.float32)

def reference_item(df, store, image_id):
    "The reference lookup, then the three slices read from the store."
    rows, y = reference_rows(df, image_id)
    return np.stack([store.get(r) for r in rows]), y

def _rate(f, xs):
    t = time.perf_counter()
    for x in xs: f(x)
    return len(xs) / (time.perf_counter() - t)

def lookup_bench(n, items, seed=0):
    "Items/s: (lookup only, ours and reference), (whole item with the image reads, ours and reference)."
    from ich_nbdev.data import SliceImage, SliceLabel, label_matrix
    from ich_nbdev.preprocess import ImageStore
    work, sl, lab = fake_index(n)
    idx = np.random.default_rng(seed).integers(0, n, items)
    n_ref = max(20, items // 20)
    store = ImageStore(work, df=sl)
    df = sl.merge(lab, on='image_id')
    y = label_matrix(lab, n)
    xf, yf = SliceImage(store, 'context'), SliceLabel(y)
    ids = sl.image_id.values
    for i in idx[:5]:  # the same answer
        rows, yr = reference_rows(df, ids[i])
        assert rows == [store.prev_idx[i], i, store.next_idx[i]] and (yr == y[i]).all()
        x, yr = reference_item(df, store, ids[i])
        assert (x == xf(i).numpy()).all() and (yr == yf(i)).all()
    lookup = _rate(lambda i: ((store.prev_idx[i], i, store.next_idx[i]), y[i]), idx)
    lookup_ref = _rate(lambda i: reference_rows(df, ids[i]), idx[:n_ref])
    item = _rate(lambda i: (xf(i), yf(i)), idx)
    item_ref = _rate(lambda i: reference_item(df, store, ids[i]), idx[:n_ref])
    return (lookup, lookup_ref), (item, item_ref)

def train_bench(size, bs, arch, epochs=2):
    "Training images/s of `arch` over the demo work dir's fold-0 `slice_dls` (fastai Learner), and bare steps."
    from fastai.learner import Learner
    from fastai.callback.core import Callback
    from ich_nbdev.testing import demo_work
    from ich_nbdev.data import slice_dls, link_work
    from ich_nbdev.train import make_loss, adam
    class TrainTimer(Callback):
        def before_fit(self): self.dt = []
        def before_train(self): self.t = time.perf_counter()
        def after_train(self): self.dt.append(time.perf_counter() - self.t)
    with tempfile.TemporaryDirectory() as d:
        w = link_work(demo_work(), d)
        dls = slice_dls(w, fold=0, size=size, bs=bs, n_folds=3, device=torch.device('cpu'))
        learn, timer = Learner(dls, create_model(arch), loss_func=make_loss(), opt_func=adam, lr=1e-3), TrainTimer()
        with learn.no_logging(), learn.no_bar(): learn.fit(epochs, cbs=timer)
        n = len(dls.train) * bs
        fastai_ips = n / min(timer.dt[1:] or timer.dt)   # the first epoch warms up
    m, lossf = create_model(arch).train(), make_loss()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x, y = torch.randn(bs, 3, size, size), torch.randint(0, 2, (bs, 6)).float()
    def step(): opt.zero_grad(); lossf(m(x), y).backward(); opt.step()
    step()
    steps = max(1, n // bs)
    t = time.perf_counter()
    for _ in range(steps): step()
    bare = steps * bs / (time.perf_counter() - t)
    return fastai_ips, bare, n

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=100_000, help='slices in the index')
    p.add_argument('--items', type=int, default=2000, help='items looked up (the reference does items/20, at least 20)')
    p.add_argument('--arch', default=DEMO_ARCH)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--epochs', type=int, default=2, help='training epochs timed (the fastest after the first counts)')
    p.add_argument('--skip_train', action='store_true')
    a = p.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    (lk, lk_ref), (it, it_ref) = lookup_bench(a.n, a.items)
    print(f'{a.n:,}-slice index, {a.items} random items (reference: {max(20, a.items // 20)})')
    print(f'  lookup (3 store rows + labels): {lk:12,.0f} items/s, reference (table filters) {lk_ref:8.1f} items/s: {lk / lk_ref:9,.0f}x')
    print(f'  whole item (+ 3 slice reads):   {it:12,.0f} items/s, reference (table filters) {it_ref:8.1f} items/s: {it / it_ref:9,.0f}x')
    if not a.skip_train:
        f, b, n = train_bench(a.size, a.bs, a.arch, a.epochs)
        print(f'training {a.arch} at {a.size}px, batch {a.bs}, {n} images/epoch: fastai Learner over the demo slice_dls {f:6.1f} img/s, '
              f'bare step on a ready batch {b:6.1f} img/s (pipeline keeps {f / b:4.0%})')
