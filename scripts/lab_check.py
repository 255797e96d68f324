"""Run notebooks the way a JupyterLab user does: through a real, headless `jupyter lab` server.

Starts `jupyter lab` (no browser, a random token, a free port) at the repository root, checks that the lab
frontend is served, then for each notebook: opens a session on it with the lab's own kernelspec (as the
"Open" of the file browser does: the kernel's working directory is the notebook's folder), reads the
notebook through the contents API and executes its code cells top to bottom over the kernel's websocket
(Run All: every cell, flagged ones included, stopping at the first error). It also checks that a tqdm
progress bar renders as a widget in that kernel (and that tqdm gives no "IProgress not found" warning).

Prints one JSON line per notebook: seconds, cells run, the three slowest cells, error (name and value of the
first error output, or null), stderr lines that are warnings, and the MIME types of the rich outputs
(image/png = a figure). Exit status 1 when any notebook had an error, took longer than `--max-seconds`,
showed no figure where `--figure` asks for one, or wrote a warning where `--no-warnings` forbids it.

    python scripts/lab_check.py nbs/01_dicom.ipynb nbs/04_data.ipynb --max-seconds 120
"""
import argparse, json, os, secrets, socket, subprocess, sys, tempfile, time, uuid
import urllib.request
from pathlib import Path

import websocket   # websocket-client (a dependency of jupyter_server)

ROOT = Path(__file__).resolve().parents[1]

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class Lab:
    "A headless `jupyter lab` server at `root`: REST calls and kernel websockets."
    def __init__(self, root=ROOT, timeout=120):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f'http://127.0.0.1:{self.port}'
        self.log = tempfile.NamedTemporaryFile('w+', prefix='jupyter-lab-', suffix='.log', delete=False)
        lab = Path(sys.executable).with_name('jupyter-lab')
        cmd = [str(lab) if lab.exists() else 'jupyter-lab', '--no-browser', f'--port={self.port}', '--ServerApp.ip=127.0.0.1',
               f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={root}', '--LabApp.news_url=',
               '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'] + (['--allow-root'] if os.geteuid() == 0 else [])
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=root)
        t0 = time.time()
        while True:
            try: self.get('/api/status'); break
            except OSError:
                if self.proc.poll() is not None or time.time() - t0 > timeout:
                    self.close(); raise RuntimeError(f'jupyter lab did not start; its log: {self.log.name}')
                time.sleep(.5)

    def request(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={'Authorization': f'token {self.token}', 'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
            return r.status, (json.loads(data) if data and r.headers.get_content_type() == 'application/json' else data)

    def get(self, path): return self.request('GET', path)[1]

    def lab_page(self) -> str:
        "The HTML of the lab's frontend page."
        return self.request('GET', '/lab')[1].decode()

    def open_session(self, path, kernel='python3'):
        "A session on notebook `path` (relative to the root) with kernelspec `kernel`: its kernel id."
        _, s = self.request('POST', '/api/sessions', dict(path=path, type='notebook', name=Path(path).name, kernel=dict(name=kernel)))
        return s

    def close_session(self, s):
        try: self.request('DELETE', f"/api/sessions/{s['id']}")
        except OSError: pass

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try: self.proc.wait(20)
            except subprocess.TimeoutExpired: self.proc.kill()

    def __enter__(self): return self
    def __exit__(self, *a): self.close()

class Kernel:
    "Execute code in a running kernel over the server's websocket, collecting each cell's outputs."
    def __init__(self, lab, kernel_id):
        self.ws = websocket.create_connection(f'ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels?token={lab.token}', timeout=600)
        self.session = uuid.uuid4().hex

    def execute(self, code, timeout=900):
        "Outputs of running `code`: a list of (msg_type, content) of its iopub messages, until the kernel is idle."
        mid = uuid.uuid4().hex
        self.ws.send(json.dumps(dict(channel='shell', header=dict(msg_id=mid, msg_type='execute_request', session=self.session,
                                                                  username='lab-check', version='5.3', date=''),
                                     parent_header={}, metadata={}, buffers=[],
                                     content=dict(code=code, silent=False, store_history=True, user_expressions={},
                                                  allow_stdin=False, stop_on_error=True))))
        outs, idle, replied, t0 = [], False, False, time.time()
        while not (idle and replied):
            if time.time() - t0 > timeout: raise TimeoutError(f'cell did not finish within {timeout} s')
            m = json.loads(self.ws.recv())
            if m.get('parent_header', {}).get('msg_id') != mid: continue
            t = m['header']['msg_type']
            if m['channel'] == 'shell' and t == 'execute_reply': replied = True
            elif t == 'status': idle = m['content']['execution_state'] == 'idle'
            elif t in ('stream', 'display_data', 'execute_result', 'error', 'update_display_data'): outs.append((t, m['content']))
        return outs

    def close(self): self.ws.close()

def widget_check(k) -> dict:
    "A tqdm.auto bar in the kernel: does it render as a widget, and does tqdm warn?"
    outs = k.execute('from tqdm.auto import tqdm\nfor _ in tqdm(range(3)): pass')
    mimes = {m for t, c in outs if t == 'display_data' for m in c.get('data', {})}
    warn = [c['text'] for t, c in outs if t == 'stream' and c['name'] == 'stderr']
    return dict(widget='application/vnd.jupyter.widget-view+json' in mimes, stderr=warn)

def run_notebook(lab, path, kernel='python3') -> dict:
    "Open `path` in a lab session and run its code cells in order; figures and errors of the run."
    nb = lab.get(f'/api/contents/{path}?content=1')['content']
    s = lab.open_session(path, kernel)
    k = Kernel(lab, s['kernel']['id'])
    res = dict(notebook=path, kernel=s['kernel']['name'], cells=0, error=None, warnings=[], mimes=[], seconds=0.)
    t0, times = time.time(), []
    try:
        for cell in nb['cells']:
            if cell['cell_type'] != 'code' or not cell['source'].strip(): continue
            t1 = time.time(); outs = k.execute(cell['source']); res['cells'] += 1
            times.append((round(time.time() - t1, 1), res['cells'], cell['source'].strip().splitlines()[0][:60]))
            for t, c in outs:
                if t == 'error': res['error'] = f"{c['ename']}: {c['evalue']}"[:500]
                elif t == 'stream' and c['name'] == 'stderr':
                    res['warnings'] += [f"cell {res['cells']}: {l}" for l in c['text'].splitlines() if 'Warning' in l]
                elif t in ('display_data', 'execute_result'): res['mimes'] += [m for m in c['data'] if m not in res['mimes']]
            if res['error']: break
        res['seconds'] = round(time.time() - t0, 1)
        res['slowest'] = sorted(times, reverse=True)[:3]   # (seconds, cell number among the code cells, its first line)
        if not res['error']: res['widgets'] = widget_check(k)
    finally:
        k.close(); lab.close_session(s)
    return res

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='+', help='notebook paths (relative to the repository root)')
    ap.add_argument('--max-seconds', type=float, default=None, help='fail a notebook that takes longer')
    ap.add_argument('--figure', action='store_true', help='fail a notebook that shows no image/png output')
    ap.add_argument('--no-warnings', action='store_true', help='fail a notebook that writes a warning to stderr')
    a = ap.parse_args(argv)
    bad = 0
    with Lab() as lab:
        page = lab.lab_page()
        if 'JupyterLab' not in page: print(json.dumps(dict(error='the server did not serve the JupyterLab frontend'))); return 1
        for p in a.notebooks:
            p = str(Path(p).resolve().relative_to(ROOT)) if Path(p).is_absolute() else p
            try: r = run_notebook(lab, p)
            except Exception as e: r = dict(notebook=p, error=f'{type(e).__name__}: {e}')
            problems = [r['error']] if r.get('error') else []
            if a.max_seconds and r.get('seconds', 0) > a.max_seconds: problems.append(f"took {r['seconds']} s > {a.max_seconds} s")
            if a.figure and 'image/png' not in r.get('mimes', []): problems.append('no figure (image/png) shown')
            if a.no_warnings and r.get('warnings'): problems.append(f"warning: {r['warnings'][0][:300]}")
            w = r.get('widgets')
            if w is not None and not w['widget']: problems.append('a tqdm progress bar did not render as a widget')
            if w is not None and w['stderr']: problems.append(f"tqdm wrote to stderr: {w['stderr'][0][:200]}")
            r['problems'] = problems; bad += bool(problems)
            print(json.dumps(r), flush=True)
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
