"""Run every lesson top to bottom in a fresh kernel and save it with its outputs, so GitHub and the docs show them.

usage: PNEUMO_DATA=/path/to/chest_xray python tools/refresh_lessons.py [NOTEBOOK ...] [--fresh-model]

Without PNEUMO_DATA the lessons run on phantoms (fine for a check; the committed outputs come from the real data).
--fresh-model moves nbs/models/ aside first, so 03_train trains the lessons' model in full view again.
Without it, a model already there is not trained again, and 03_train's training cell keeps the output of the run that made it.
Each notebook runs in its own kernel, in the order of the course, with nbclient (what JupyterLab does), then nbdev_clean
strips what differs between runs. Afterwards it checks what CI checks: an image in every lesson, no machine paths.
"""
import argparse, base64, io, os, re, shutil, subprocess, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

NBS = Path(__file__).resolve().parent.parent/'nbs'
LESSONS = ['00_data', '00a_phantoms', '01_augment', '02_model', '02a_metrics', '03_train', '03a_infer', '04_evaluate',
           '04a_new_site', '05_gradcam', '06_deploy', '90_cli', 'index']   # each shows a figure
LIBRARY = ['00_core', '02b_folder', '80_lessons']   # library pages: saved with their outputs, no figure needed
# the test notebooks (97-99) are not lessons: they keep no outputs

def shrink(nb, over:int=100_000):
    "Re-encode each PNG output larger than `over` bytes with a 256-colour palette: about a third of the size, alike to the eye."
    from PIL import Image
    for o in (o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])):
        png = o.get('data', {}).get('image/png')
        if not png or len(png) < over: continue
        out = io.BytesIO(); Image.open(io.BytesIO(base64.b64decode(png))).convert('RGB').quantize(256).save(out, 'PNG', optimize=True)
        if out.tell() < len(png)*3//4: o['data']['image/png'] = base64.b64encode(out.getvalue()).decode()

TRAINS = 'lesson_model(data, train_here=True)'   # 03_train's cell that trains the course's model when it is missing

def trained_models() -> dict:
    "When each of the lessons' model folders last had its weights written."
    return {p: p.stat().st_mtime for p in (NBS/'models').glob('*/model.safetensors')}

def run(name:str, timeout:int):
    "Execute nbs/NAME.ipynb in a fresh kernel, in the notebooks folder, and save it with its outputs."
    path = NBS/f'{name}.ipynb'
    nb = nbformat.read(path, as_version=4)
    t, models = time.time(), trained_models()
    training = {i: c.outputs for i, c in enumerate(nb.cells) if c.cell_type == 'code' and TRAINS in c.source}
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(NBS)}},
                   store_widget_state=False).execute()   # widgets need a live kernel: the docs show a still image instead
    if trained_models() == models:                      # no model was trained: the training cell keeps the run that made it
        for i, outputs in training.items(): nb.cells[i].outputs = outputs
    for c in nb.cells:                                      # nbclient runs every cell: what nbdev skips keeps no output
        if c.cell_type == 'code' and re.search(r'^#\|\s*eval:\s*false', c.source, re.M): c.outputs = []
    shrink(nb); nbformat.write(nb, path)
    print(f"{name}: {time.time() - t:.0f} s", flush=True)

def check(name:str) -> list:
    "What is wrong with a saved notebook: no image output (in a lesson), no output at all, a machine path or widget state."
    nb = nbformat.read(NBS/f'{name}.ipynb', as_version=4)
    outs = [o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])]
    text = '\n'.join(str(o.get('text', '')) + str(o.get('data', {}).get('text/plain', '')) + str(o.get('data', {}).get('text/html', '')) for o in outs)
    problems = [] if any('image/png' in o.get('data', {}) for o in outs) or (name in LIBRARY and outs) else ['no image output' if outs else 'no output']
    problems += ['widget state saved'] if 'widgets' in nb.metadata or any('application/vnd.jupyter.widget-view+json' in o.get('data', {}) for o in outs) else []
    problems += [f'machine path {m!r}' for m in sorted(set(re.findall(r'(?:/work|/tmp|/home|/root|/Users)/[\w./-]+', text)))[:3]]
    if name in LESSONS and name != 'index':
        prose = '\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')
        problems += [f'no {s!r}' for s in ('**Needs and time.**', 'What you will learn', '## Summary', '**Questions.**', '**Further research.**') if s not in prose]
        problems += [f'a code cell of {n} lines (30 at most)' for c in nb.cells if c.cell_type == 'code' and (n := len(c.source.splitlines())) > 30]
    return problems

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('notebooks', nargs='*', default=LESSONS + LIBRARY)
    ap.add_argument('--fresh-model', action='store_true', help='move nbs/models aside so the lessons train their model again')
    ap.add_argument('--timeout', type=int, default=7200, help='seconds per cell')
    ap.add_argument('--check', action='store_true', help='only check the saved outputs (what CI does)')
    ap.add_argument('--max-mb', type=float, default=8, help='largest size of all notebooks together, in MB')
    a = ap.parse_args()
    if a.check:
        bad = {n: p for n in a.notebooks if (p := check(Path(n).stem))}
        mb = sum(f.stat().st_size for f in NBS.glob('*.ipynb'))/1e6
        for n, p in bad.items(): print(f"{n}: {', '.join(p)}")
        print(f"{len(a.notebooks) - len(bad)} of {len(a.notebooks)} lessons have their outputs; notebooks {mb:.1f} MB (limit {a.max_mb:g})")
        sys.exit(1 if bad or mb > a.max_mb else 0)
    if not os.environ.get('PNEUMO_DATA'): print("PNEUMO_DATA is not set: the lessons run on phantoms.")
    os.environ.pop('MPLBACKEND', None)                  # the kernels must draw inline, as JupyterLab's do
    if a.fresh_model and (NBS/'models').exists(): shutil.move(NBS/'models', NBS/f'models.old-{int(time.time())}')
    failed = {}
    for n in a.notebooks:                             # a lesson that fails keeps its old outputs; the others still run
        try: run(Path(n).stem, a.timeout)
        except Exception as e:
            text = re.sub(r'\x1b\[[0-9;]*m', '', str(e)).strip()       # the cell's traceback, without terminal colours
            failed[n] = [f"failed: {text.splitlines()[-1][:300]}"]; print(f"{n}: {text[-3000:]}", flush=True)
    subprocess.run(['nbdev_clean'], cwd=NBS.parent, check=True)
    bad = {**{n: p for n in a.notebooks if (p := check(Path(n).stem))}, **failed}
    for n, p in bad.items(): print(f"{n}: {', '.join(p)}")
    sys.exit(1 if bad else 0)
