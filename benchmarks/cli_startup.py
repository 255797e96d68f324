"""Start-up time of every console script: `--help` and one usage error each, against a bare Python start.

    python benchmarks/cli_startup.py --repeat 5

Each command runs `--repeat` times (best run reported: the machine is shared); the reference is
`python -c pass` with the same interpreter in the same run, so the ratio says what the command adds.
Target (issue 23): every line under 1.5 s on an idle core.
"""
import argparse, subprocess, sys, tempfile, time
from pathlib import Path

BIN = Path(sys.executable).parent

def best(cmd, n):
    "Best wall time of `n` runs of `cmd` (seconds) and its last exit code."
    ts, rc = [], None
    for _ in range(n):
        t = time.perf_counter(); rc = subprocess.run(cmd, capture_output=True).returncode; ts.append(time.perf_counter() - t)
    return min(ts), rc

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--limit', type=float, default=1.5, help='seconds a command may take')
    a = p.parse_args()
    d = Path(tempfile.mkdtemp())
    errors = {'ich-predict': [d/'nope', d/'out', '--models', d], 'ich-evaluate': [d/'p.csv', d/'l.csv', d/'e'],
              'ich-node': ['--models', d, '--dest', 'P@h:1', '--port', '0'], 'ich-synth': [d/'s', '--n_studies', '-1'],
              'ich-preprocess': [d/'nope', d/'w'], 'ich-run': ['nope', '-f', d/'nope.yaml'], 'ich-demo': ['--threads', 'x']}
    ref, _ = best([sys.executable, '-c', 'pass'], a.repeat)
    print(f'reference: bare python start {ref:.3f} s (best of {a.repeat})')
    print(f"{'command':<16} {'--help s':>9} {'x ref':>7} {'usage error s':>14} {'exit':>5}  under {a.limit} s")
    ok = True
    for cmd, bad in errors.items():
        h, rh = best([str(BIN/cmd), '--help'], a.repeat)
        e, re_ = best([str(BIN/cmd), *map(str, bad)], a.repeat)
        met = h < a.limit and e < a.limit and rh == 0 and re_ == 2
        ok &= met
        print(f'{cmd:<16} {h:9.3f} {h / ref:7.1f} {e:14.3f} {re_:5d}  {"met" if met else "MISSED"}')
    print('all under the limit' if ok else 'some command is over the limit')
