"""Resume and failure figures of ich-preprocess on a corpus with hostile cases (issue 11, section 7).

Usage: python benchmarks/hostile.py [--size 64] [--workers 2]

Corpus: the synthetic demo data set (Kaggle layout, with its corrupt file) copied to a temporary folder, plus
a side file, a hidden folder, a broken link, a second link to a series folder, a duplicated SOPInstanceUID and
an RLE file declaring 30000 x 30000 pixels. Five runs on one work dir:
  1. fresh;
  2. the same again (the stage marker: nothing read);
  3. one series re-exported under the same file names with new content, and 5 other files touched (new mtime)
     and given a permission error when read (injected: a fault of the environment);
  4. the permission fixed: the 5 files are tried again, nothing else read;
  5. `force=True`: every file read again.
Printed per run: files tried (candidates), slices, failures by reason (every path not used: side files and links
too), files read this run (records written), files not read (records or the marker reused).
"""
import argparse, os, shutil, sys, tempfile, time, warnings
warnings.filterwarnings('ignore')
from pathlib import Path
from unittest import mock
import numpy as np, pandas as pd
from pydicom import uid
from pydicom.encaps import encapsulate
import ich_nbdev.preprocess as pp
from ich_nbdev.dicom import read_dicom, DicomError
from ich_nbdev.testing import write_ct
from ich_nbdev.synth import demo_data
from ich_nbdev.preprocess import preprocess, load_slices

def corpus(d):
    shutil.copytree(demo_data(), d, symlinks=True)
    train = d/'stage_2_train'
    files = sorted(train.glob('*.dcm'))
    (d/'README.txt').write_text('export notes')
    (d/'.cache').mkdir(); (d/'.cache'/'x.dcm').write_bytes(b'')
    (d/'dangling').symlink_to(d/'nowhere')
    (d/'train_again').symlink_to(train)
    (d/'export').mkdir()
    for n in ('IM1', 'IM1_copy'): shutil.copy(files[0], d/'export'/n)   # one slice exported twice: one SOPInstanceUID
    ds = read_dicom(write_ct(d/'huge.dcm', np.zeros((4, 4), np.int16)))
    ds.file_meta.TransferSyntaxUID = uid.RLELossless; ds.Rows = ds.Columns = 30000
    ds.PixelData = encapsulate([np.array([1, 64] + [0]*14, '<u4').tobytes() + b'\x81\x00' * 8]); ds['PixelData'].is_undefined_length = True
    ds.save_as(d/'huge.dcm', enforce_file_format=True)
    return d

def reexport(d, work):
    "Write one series again under the same names with another series' UIDs and flipped pixels."
    sl = load_slices(work)
    g = sl[sl.split == 'train'].group_id.iloc[0]
    paths = sl[sl.group_id == g].path.tolist()
    for p in paths:
        ds = read_dicom(p); st = os.stat(p)
        ds.SeriesInstanceUID = ds.SeriesInstanceUID + '.9'; ds.PatientID = 'ID_reexported'
        ds.PixelData = ds.pixel_array[::-1].copy().tobytes()
        ds.save_as(p + '.tmp', enforce_file_format=True); os.replace(p + '.tmp', p)
    return g, paths

def n_records(w):
    return sum(len(pd.read_parquet(f, columns=['path'])) for f in (Path(w)/'.preprocess').glob('part-*.parquet'))

def main(size=64, workers=2):
    tmp = Path(tempfile.mkdtemp()); d, w = corpus(tmp/'data'), tmp/'work'
    kw = dict(size=size, n_workers=workers, progress=False)
    rows = []
    def run(name, **extra):
        n0 = n_records(w); t0 = time.perf_counter(); s = preprocess(d, w, **{**kw, **extra})
        read = n_records(w) - n0   # records written by this run = files it read (0 when its marker said done)
        rows.append(dict(run=name, files_tried=s['files'], slices=s['slices'], failures=s['failures'],
                         read_this_run=read, reused=s['files'] - read,
                         retried_next_run=s.get('failures_retried_next_run', 0), seconds=round(time.perf_counter() - t0, 1),
                         **{f'fail:{k}': v for k, v in sorted(s['failures_by_reason'].items())}))
        return s
    run('1 fresh')
    run('2 same again')
    g, paths = reexport(d, w)
    real, denied = pp.read_slices, set(sorted(set(load_slices(w).path) - set(paths))[:5])
    for p in denied: os.utime(p)   # touched (a copy tool, a re-sync): read again, and denied
    def fault(fn, *a, **k):
        if str(fn) in denied: raise DicomError(fn, 'unreadable', 'PermissionError: [Errno 13] Permission denied')
        return real(fn, *a, **k)
    with mock.patch.object(pp, 'read_slices', fault): run(f'3 re-export ({len(paths)} files) + 5 touched, denied', n_workers=0)
    sl = load_slices(w)
    assert set(sl[sl.path.isin(paths)].patient_id) == {'ID_reexported'}, 'the re-exported series is read again'
    run('4 permission fixed')
    run('5 force', force=True)
    df = pd.DataFrame(rows).fillna(0)
    cols = list(df.columns)
    print('| ' + ' | '.join(cols) + ' |\n|' + '---|' * len(cols))
    for r in df.itertuples(index=False): print('| ' + ' | '.join(str(int(v)) if isinstance(v, float) and v == int(v) and 'seconds' not in c else str(v) for c, v in zip(cols, r)) + ' |')
    shutil.rmtree(tmp)

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--size', type=int, default=64); p.add_argument('--workers', type=int, default=2)
    a = p.parse_args(); main(a.size, a.workers)
