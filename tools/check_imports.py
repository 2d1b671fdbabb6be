"""Check the package's layering: every import between pneumo_nb modules points back along the lesson order (the notebook
number), so there is no cycle; no private name crosses a module boundary. Prints the graph; exits 1 on a violation.

usage: python tools/check_imports.py
"""
import ast, re, sys
from pathlib import Path

pkg = Path(__file__).resolve().parent.parent/'pneumo_nb'
order, edges, bad = {}, [], []
for f in sorted(pkg.glob('*.py')):
    if f.name.startswith('_'): continue
    src = f.read_text()
    if m := re.search(r'File to edit: \.\./nbs/(\S+)\.ipynb', src): order[f.stem] = m.group(1)
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '').startswith('pneumo_nb')):
            name = node.module or ''
            mods = [name.split('.')[-1]] if name and name != 'pneumo_nb' else [a.name for a in node.names]
            for mod in mods:
                edges.append((f.stem, mod, node.lineno))
            bad += [f"{f.stem}:{node.lineno} imports the private name {a.name} from {node.module}" for a in node.names if a.name.startswith('_')]
        elif isinstance(node, ast.Import):
            edges += [(f.stem, a.name.split('.')[1], node.lineno) for a in node.names if a.name.startswith('pneumo_nb.')]
seen = set()
for a, b, line in sorted(edges):
    if (a, b) in seen: continue
    seen.add((a, b))
    ok = order.get(b, '') < order.get(a, '')
    print(f"{order.get(a, a):>13} {a:<9} <- {b:<9} ({order.get(b, b)}){'' if ok else '   BACKWARDS'}")
    if not ok: bad.append(f"{a}:{line} imports {b}, which comes later in the course ({order.get(b)} after {order.get(a)})")
for b in bad: print('FAIL:', b)
print(f"{len(seen)} imports between modules; " + ("all point back along the lesson order: no cycle possible." if not bad else f"{len(bad)} problem(s)."))
sys.exit(1 if bad else 0)
