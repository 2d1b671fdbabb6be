"""The recipe ablation as one table: each arm's training (time, epochs, speed), its validation AUC, and its official
test scores where it was scored (`pneumo evaluate ARM $PNEUMO_DATA/test --log benchmarks/test_log.csv`).

usage: python benchmarks/recipes.py ARM [ARM ...] [--recipe ARM=TEXT ...] [--set ARM.KEY=VALUE ...] [--save results/recipes-cpu-avx2.csv [--append]]
ARM: a model folder from `pneumo train` or from a script in benchmarks/ablation/ (name the script with --recipe, and
     correct what its metrics.json cannot know, such as a patched head, with --set; its eval-test/ is read when present),
     or the JSON that `seed_baseline.py --out F.json` (or `ablation/arm_P_loop_pneumo_data.py`) writes: the seed
     recipe as a plain PyTorch loop, scored at 0.5; its `epochs` counts validations, the last of which may follow part
     of an epoch when the time ran out.
"""
import argparse, json, math
from pathlib import Path
import pandas as pd

RECIPE_KEYS = ('size', 'lr', 'final_lr', 'head', 'min_scale', 'max_lighting', 'split_how', 'seed', 'precision')

def model_row(d:Path) -> dict:
    "One `pneumo train` folder: its recipe, training, validation and (if scored) test figures."
    m = json.loads((d/'metrics.json').read_text())
    row = dict(arm=d.name, recipe='pneumo train', aug='fastai', **{k: m.get(k) for k in RECIPE_KEYS},
               train_min=m['train_minutes'], epochs=m['epochs_run'], img_s=m['imgs_per_s'], valid_auc=round(m['valid_auc'], 4))
    t = d/'eval-test'/'metrics.json'
    if t.is_file():
        e = json.loads(t.read_text())
        at = e['at'][e['threshold_name'].split(' ')[0]]
        row.update(test_auc=round(e['ranking']['auc'], 4), test_auc_ci='{:.3f}–{:.3f}'.format(*e['ci']['auc']),
                   threshold=f"{e['threshold']:.3g} (validation)", test_sens=round(at['sensitivity'], 3),
                   test_spec=round(at['specificity'], 3), test_ece=round(e['calibration']['ece'], 3))
    return row

def seed_row(f:Path) -> dict:
    "One run of the seed loop (`seed_baseline.py --out`): it scores test at 0.5 itself."
    s = json.loads(f.read_text())
    final_lr = 1e-5 + (1e-4 - 1e-5)*(1 + math.cos(math.pi*s['epochs']/50))/2   # its cosine spans 50 epochs: the lr barely falls
    return dict(arm=f.stem, recipe='seed loop (plain PyTorch)', size=s['size'], lr=1e-4, final_lr=float(f'{final_lr:.2g}'),
                head='torchvision', aug='torchvision', split_how='random',
                precision='bf16' if s['bf16'] else 'fp32', train_min=s['train_minutes'], epochs=s['epochs'],
                img_s=s['imgs_per_s'], valid_auc=s['best_val_auc'], test_auc=s.get('test_auc'), threshold='0.5',
                test_sens=s.get('test_sens'), test_spec=s.get('test_spec'))

def markdown(df:pd.DataFrame) -> str:
    "The table as Markdown (empty cells for figures an arm does not have)."
    cells = df.astype(object).where(df.notna(), '')
    return '\n'.join(['| ' + ' | '.join(df.columns) + ' |', '|' + '---|'*len(df.columns)] +
                     ['| ' + ' | '.join(map(str, r)) + ' |' for r in cells.itertuples(index=False)])

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('arms', nargs='+', type=Path); ap.add_argument('--save', type=Path)
    ap.add_argument('--append', action='store_true', help="add these arms to the table already saved (replacing rows of the same name)")
    ap.add_argument('--recipe', action='append', default=[], help="ARM=TEXT: what trained that arm (default 'pneumo train', or the seed loop)")
    ap.add_argument('--set', action='append', default=[], help="ARM.KEY=VALUE: a recipe field the arm's metrics.json gets wrong")
    a = ap.parse_args()
    recipes = dict(r.split('=', 1) for r in a.recipe)
    df = pd.DataFrame([seed_row(p) if p.suffix == '.json' else model_row(p) for p in a.arms])
    for arm, text in recipes.items(): df.loc[df.arm == arm, 'recipe'] = text
    for s in a.set:
        (arm, key), value = s.split('=', 1)[0].rsplit('.', 1), s.split('=', 1)[1]
        df[key] = df[key].astype(object)
        df.loc[df.arm == arm, key] = float(value) if value.replace('.', '', 1).isdigit() else value
    if a.append and a.save and a.save.is_file():
        old = pd.read_csv(a.save)
        df = pd.concat([old[~old.arm.isin(df.arm)], df], ignore_index=True)
    print(markdown(df))
    if a.save: a.save.parent.mkdir(parents=True, exist_ok=True); df.to_csv(a.save, index=False)
