"""Per-slice cost and size of ich-preprocess against the original's PNG preprocessing (issue 2, section 5).

Usage: python benchmarks/preprocess.py [--n 800] [--reps 3]

On the same N synthetic, uncompressed 512x512 CT slices (ich_nbdev.synth, cached), one process, no workers:
  (a) reference: what the original 2DNet preprocessing and the inference fork do per slice: pydicom read,
      HU = pixel_array * slope + intercept, own (first) window, clip, min-max, *255, PIL PNG save (default settings);
  (b) ich-preprocess's per-slice path, `process_file` (read, HU with quirk fixes, windows, resize check, zstd,
      atomic write), with the default four windows and with the `dicom` window alone (the reference's content);
  (c) floor: pydicom read + pixel decode, nothing else.
Times are CPU seconds of this process (user + system, `time.process_time`: the machine's cores are shared, so
wall time would measure the neighbours); wall times are printed too. Every method runs over all files `reps`
times after a warm-up pass (files in the page cache for all), the best repetition counts.

'Marginal' cost = time per slice above the read+decode floor: the work a method adds to the unavoidable reading.
  marginal speed-up = (t_ref - t_floor) / (t_ours - t_floor)   target >= 10
  floor ratio       = t_ours / t_floor                        target <= 3
  bytes ratio       = bytes per slice of ours / reference PNG  target <= 1.5
Also prints the store-format options measured on the same windowed arrays (bytes and encode time per channel).
"""
import argparse, io, os, shutil, sys, tempfile, time, warnings, zlib
from pathlib import Path
import numpy as np, pydicom, pyarrow as pa
from PIL import Image

from ich_nbdev.core import cache_dir, locked
from ich_nbdev.synth import make_synth
from ich_nbdev.dicom import read_dicom, dcm_hu, dcm_window
from ich_nbdev.preprocess import process_file, read_slice, tune_malloc, close_shards, DEFAULT_WINDOWS


def bench_data(n):
    "N uncompressed 512x512 slices (no quirks, no corrupt file), generated once into the shared cache."
    d = cache_dir('bench')/f'preprocess_{n}'
    per = 32
    with locked(d):
        if not (d/'done').exists():
            shutil.rmtree(d, ignore_errors=True)
            make_synth(d, n_studies=-(-n//per), n_test_studies=0, slices=(per, per), size=512, seed=1, quirk_rate=0., n_corrupt=0)
            (d/'done').touch()
    return sorted((d/'stage_2_train').glob('*.dcm'))[:n], d


def floor_one(fn, out):
    ds = pydicom.dcmread(fn)
    return ds.pixel_array


def reference_one(fn, out):
    "The original: read, own window, min-max, PNG with PIL defaults."
    ds = pydicom.dcmread(fn)
    img = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    c, w = ds.WindowCenter, ds.WindowWidth
    c = float(c[0] if isinstance(c, pydicom.multival.MultiValue) else c)
    w = float(w[0] if isinstance(w, pydicom.multival.MultiValue) else w)
    lo, hi = c - w//2, c + w//2
    img[img < lo], img[img > hi] = lo, hi
    img = (img - img.min()) / (img.max() - img.min())
    Image.fromarray((img * 255).astype(np.uint8)).save(out/f'{Path(fn).stem}.png')


def ours(windows):
    def f(fn, out):
        r = process_file(fn, out, windows=windows, size=512)
        assert r['status'] == 'ok', r
    return f


def run(f, files, out, reps):
    "Best (cpu, wall) seconds per slice over `reps` passes (after one warm-up pass)."
    best = (np.inf, np.inf)
    for rep in range(reps + 1):
        shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
        c0, w0 = time.process_time(), time.perf_counter()
        for fn in files: f(fn, out)
        close_shards()
        c, w = (time.process_time() - c0)/len(files), (time.perf_counter() - w0)/len(files)
        if rep and c < best[0]: best = (c, w)
    return best


def store_bytes(out, n):
    "Bytes per slice of everything written under `out` (PNGs, or our shards)."
    return sum(p.stat().st_size for p in Path(out).rglob('*') if p.is_file())/n


def codec_options(files, k=50):
    "Bytes and encode ms per channel of store formats, on the windowed arrays of k slices."
    imgs = [read_slice(fn, DEFAULT_WINDOWS, 512)[1] for fn in files[:k]]
    def png(a):
        b = io.BytesIO(); Image.fromarray(a).save(b, 'png'); return b.getvalue()
    opts = {'PNG (PIL default)': png, 'zlib level 1': lambda a: zlib.compress(a.tobytes(), 1),
            'lz4 (pyarrow)': lambda a: pa.Codec('lz4').compress(a, asbytes=True),
            'zstd level 1 (pyarrow)': lambda a: pa.Codec('zstd', 1).compress(a, asbytes=True),
            'zstd level 3 (pyarrow)': lambda a: pa.Codec('zstd', 3).compress(a, asbytes=True)}
    rows = []
    for name, enc in opts.items():
        t0 = time.process_time(); nb = [len(enc(ch)) for im in imgs for ch in im]; t = time.process_time() - t0
        per_ch = np.array(nb).reshape(len(imgs), -1).mean(0)
        rows.append((name, per_ch, 1e3*t/len(nb)))
    return rows


def main():
    warnings.simplefilter('ignore')   # the RSNA-style SOPInstanceUID 'ID_...' is not a valid UI: pydicom warns on every read
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=800); ap.add_argument('--reps', type=int, default=3)
    a = ap.parse_args()
    tune_malloc()   # what `preprocess` does first; it applies to every method here (same process), the reference included
    t0 = time.perf_counter(); files, d = bench_data(a.n)
    print(f'{len(files)} slices 512x512 uncompressed in {d} (ready in {time.perf_counter() - t0:.1f} s)')
    tmp = Path(tempfile.mkdtemp(prefix='bench_prep_', dir=cache_dir('bench')))   # same disk as the data
    try:
        res = {}
        for name, f in [('floor', floor_one), ('reference', reference_one), ('ours (4 windows)', ours(DEFAULT_WINDOWS)),
                        ('ours (dicom only)', ours(('dicom',)))]:
            cpu, wall = run(f, files, tmp/'out', a.reps)
            res[name] = (cpu, wall, store_bytes(tmp/'out', len(files)) if name != 'floor' else 0.)
            print(f'{name:18s} cpu {1e3*cpu:6.2f} ms/slice  wall {1e3*wall:6.2f} ms/slice  '
                  f'{1/cpu:7.1f} slices/s  {res[name][2]/1024:7.1f} KiB/slice', flush=True)
        fl, ref = res['floor'][0], res['reference'][0]
        print(f'\nreference marginal (above floor): {1e3*(ref - fl):.2f} ms/slice')
        for name in ['ours (4 windows)', 'ours (dicom only)']:
            t, b = res[name][0], res[name][2]
            nch = 4 if '4' in name else 1
            print(f'{name}: marginal {1e3*(t - fl):.2f} ms/slice | marginal speed-up vs reference {(ref - fl)/(t - fl):5.1f}x (target >= 10)'
                  f' | floor ratio {t/fl:4.2f}x (target <= 3) | bytes/slice vs reference PNG {b/res["reference"][2]:4.2f}x'
                  f' (target <= 1.5), per stored window {b/nch/res["reference"][2]:4.2f}x')
        print('\nstore-format options (per channel, 50 slices, windows ' + ', '.join(DEFAULT_WINDOWS) + '):')
        for name, per_ch, ms in codec_options(files):
            print(f'  {name:24s} ' + '  '.join(f'{w} {b/1024:6.1f} KiB' for w, b in zip(DEFAULT_WINDOWS, per_ch)) + f'   encode {ms:5.2f} ms/channel')
    finally: shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__': main()
