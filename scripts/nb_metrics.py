#!/usr/bin/env python3
"""The shape of the notebooks' exported code, against the targets of the layering work (issue 10):

- the share of exported functions and classes whose export cell is directly followed by a code cell that uses them
  (their example or test), target >= 60%;
- the largest export cell (lines), target <= 40;
- the longest function or method (lines, `def` to its last line), target <= 30.

    python scripts/nb_metrics.py            # the figures, the worst cells and functions
    python scripts/nb_metrics.py --check    # exit 1 when a target is missed

Reads `nbs/*.ipynb` only (no import of the package).
"""
import argparse, ast, json, re, sys
from pathlib import Path

TARGETS = dict(tested_share=0.60, max_cell_lines=40, max_function_lines=30)
_EXPORT = re.compile(r'^\s*#\|\s*export', re.M)

def cells(nb_path):
    "The code cells of a notebook: (index, source, exported)."
    nb = json.loads(Path(nb_path).read_text())
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        yield i, src, bool(_EXPORT.search(src))

def _parse(src):
    "The cell's AST; IPython magics and shell lines blanked."
    lines = ['' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines()]
    try: return ast.parse('\n'.join(lines))
    except SyntaxError: return None

def _names_used(src) -> set:
    tree = _parse(src)
    if tree is None: return set(re.findall(r'\w+', src))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}

def notebook_figures(nb_path):
    "Per notebook: exported definitions with whether they are followed by a use, cell sizes, function lengths."
    cs = list(cells(nb_path))
    defs, cell_lines, funcs = [], [], []
    for k, (i, src, exported) in enumerate(cs):
        if not exported: continue
        cell_lines.append((len([l for l in src.splitlines() if l.strip()]), i))
        tree = _parse(src)
        if tree is None: continue
        nxt = cs[k + 1] if k + 1 < len(cs) else None
        used = _names_used(nxt[1]) if nxt and not nxt[2] else set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith('_'):
                defs.append((node.name, node.name in used, i))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                funcs.append((node.end_lineno - node.lineno + 1, node.name, i))
    return defs, cell_lines, funcs

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nbs', default=str(Path(__file__).resolve().parent.parent/'nbs'))
    ap.add_argument('--check', action='store_true', help='exit 1 when a target is missed')
    ap.add_argument('--top', type=int, default=5, help='how many of the largest cells and functions to list')
    a = ap.parse_args()
    defs, cell_lines, funcs = [], [], []
    for nb in sorted(Path(a.nbs).glob('[0-9]*.ipynb')):
        d, c, f = notebook_figures(nb)
        defs += [(nb.name, *x) for x in d]; cell_lines += [(n, nb.name, i) for n, i in c]; funcs += [(n, nb.name, name, i) for n, name, i in f]
    share = sum(t for _, _, t, _ in defs) / max(1, len(defs))
    big, long = max(cell_lines, default=(0, '', 0)), max(funcs, default=(0, '', '', 0))
    rows = [('exported functions/classes followed by their example or test', f'{share:.0%} of {len(defs)}', f">= {TARGETS['tested_share']:.0%}", share >= TARGETS['tested_share']),
            ('largest export cell (non-blank lines)', f'{big[0]} ({big[1]} cell {big[2]})', f"<= {TARGETS['max_cell_lines']}", big[0] <= TARGETS['max_cell_lines']),
            ('longest function (lines)', f'{long[0]} ({long[2]}, {long[1]})', f"<= {TARGETS['max_function_lines']}", long[0] <= TARGETS['max_function_lines'])]
    for what, v, t, ok in rows: print(f'{what:<62} {v:<40} target {t:<6} {"met" if ok else "MISSED"}')
    print('\nlargest export cells: ' + ', '.join(f'{nb} cell {i}: {n}' for n, nb, i in sorted(cell_lines, reverse=True)[:a.top]))
    print('longest functions: ' + ', '.join(f'{name} ({nb}): {n}' for n, nb, name, i in sorted(funcs, reverse=True)[:a.top]))
    per_nb = {}
    for nb, _, t, _ in defs: per_nb.setdefault(nb, []).append(t)
    print('followed by a use, per notebook: ' + ', '.join(f"{nb.split('_')[0]} {sum(v)}/{len(v)}" for nb, v in per_nb.items()))
    if a.check and not all(ok for *_, ok in rows): sys.exit(1)

if __name__ == '__main__': main()
