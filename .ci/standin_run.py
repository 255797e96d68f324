"""A stand-in for `ich-run` in tests of the SLURM scripts: the same command line, the real profile reading, and what the
runner writes (executed notebooks, `run.json` records, the `submit` stage's submission), without executing anything.
`ICH_STANDIN_FAIL=STAGE` makes that stage fail; `ICH_STANDIN_SLEEP` is the time each task takes (s).
`ich_nbdev.testing.write_standin` puts an executable `ich-run-standin` that runs it into a folder."""
import argparse, os, sys, time
from pathlib import Path
import nbformat, pandas as pd
from ich_nbdev.core import WD, save_df
from ich_nbdev.runs import load_profile, stage_tasks, stage_notebook, runs_dir, update_run_record

def run_task(prof, run_dir, s, i, n):
    time.sleep(float(os.environ.get('ICH_STANDIN_SLEEP', '0.2')))
    if s == os.environ.get('ICH_STANDIN_FAIL'):
        update_run_record(run_dir, stage=dict(stage=s, task=i, status='failed'))
        sys.exit(f'stand-in: stage {s} fails')
    out = run_dir/f"{stage_notebook(prof, s).stem}{'' if n == 1 else f'-{i}'}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(metadata=dict(standin=dict(stage=s, task=i, host=os.uname().nodename))), out)
    if s == 'submit':
        w = Path(prof['params']['work_dir']); w.mkdir(parents=True, exist_ok=True)
        save_df(pd.DataFrame(dict(ID=['ID_0_any'], Label=[0.5])), w/WD.submission)
    update_run_record(run_dir, stage=dict(stage=s, task=i, status='ran', output=str(out)))
    print(f'[{s}-{i}] -> {out}')

def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('stage'); p.add_argument('-f'); p.add_argument('--task', type=int); p.add_argument('--run_id', default='standin')
    p.add_argument('--n_tasks', action='store_true'); p.add_argument('--force', action='store_true')
    a = p.parse_args(argv)
    prof = load_profile(a.f)
    stages = prof['pipeline'] if a.stage == 'all' else [a.stage]
    if a.n_tasks: return print(sum(len(stage_tasks(prof, s)) for s in stages))
    run_dir = runs_dir()/a.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    update_run_record(run_dir, run_id=a.run_id, params=prof['params'])
    for s in stages:
        n = len(stage_tasks(prof, s))
        for i in ([a.task] if a.task is not None else range(n)): run_task(prof, run_dir, s, i, n)

if __name__ == '__main__': main()
