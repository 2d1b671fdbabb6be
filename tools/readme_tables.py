"""The README's tables of measured numbers, made from the files that hold them, so that no figure is typed twice.

Each table sits in README.md between `<!-- table:NAME -->` and `<!-- /table:NAME -->`; this script fills it from its source:
benchmarks/results/ (course.json and new-site.csv, kept by the lessons; recipes-*.csv and levers-*.csv, written by
benchmarks/recipes.py; speed-*.json, by benchmarks/speed.py; few-labels.csv, by benchmarks/few_labels.py; site-threshold.csv, by benchmarks/site_threshold.py; test-times.csv, by tools/time_tests.py) and benchmarks/test_log.csv.

Filling the tables also draws the points table as benchmarks/results/points.png, which the README shows beside it.

usage: python tools/readme_tables.py [--check]     (--check: exit 1 if the README is not what the files say, as CI does)
"""
import argparse, json, re, sys
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RES = ROOT/'benchmarks'/'results'

def md(df:pd.DataFrame) -> str:
    "A DataFrame as a Markdown table (empty cells for missing values; a `|` inside a cell escaped)."
    cells = df.astype(object).where(df.notna(), '')
    row = lambda vals: '| ' + ' | '.join(str(v).replace('|', '\\|') for v in vals) + ' |'
    return '\n'.join([row(df.columns), '|' + '---|'*len(df.columns)] + [row(r) for r in cells.itertuples(index=False)])

def globbed(pattern:str) -> list:
    "The results files that match `pattern`; FileNotFoundError when there are none."
    if not (fs := sorted(RES.glob(pattern))): raise FileNotFoundError(2, 'no results file', str(RES/pattern))
    return fs

def recipes() -> pd.DataFrame:
    return pd.concat([pd.read_csv(f) for f in globbed('recipes-*.csv')], ignore_index=True)

def f3(v): return '' if pd.isna(v) else f'{v:.3f}'

def course():
    c = json.loads((RES/'course.json').read_text())
    head = f"{c['model']}: {c['arch']} at {c['size']} px from scratch, augmentation `{c['aug']}`, seed {c['seed']}, {c['epochs_run']} epochs in {c['train_minutes']:.0f} min ({c['precision']}, CPU kind `{c['cpu']}`).\n\n"
    return head + md(pd.DataFrame({'': c['rows'], 'validation': [c['validation'][r] for r in c['rows']], 'official test': [c['official test'][r] for r in c['rows']]}))

def new_site():
    d = pd.read_csv(RES/'new-site.csv')
    return md(pd.DataFrame({'how': d.how, 'AUC': d.auc.map(f3), 'sensitivity': d.sensitivity.map(f3), 'specificity': d.specificity.map(f3),
                            'best specificity at sensitivity 0.95 (reference, from the labels)': d.specificity_at_sensitivity_95.map(f3)}))

GOAL = dict(sensitivity=0.95, specificity=0.85)   # the new-site goal: at the shipped threshold, after `pneumo adapt`

def hour():
    d = recipes().query("arm.str.startswith('T')")
    d = d.assign(seed=d.seed.astype('Int64'))
    return md(d[['arm', 'cpu', 'precision', 'seed', 'epochs', 'train_min', 'valid_auc', 'test_auc', 'threshold', 'test_sens', 'test_spec']])

def course_point() -> pd.DataFrame:
    "The course's model as a run of `points`, from 04a's table (new-site.csv): both thresholds, as trained and adapted."
    c, s = json.loads((RES/'course.json').read_text()), pd.read_csv(RES/'new-site.csv').set_index('how')
    rows = {'': 'as trained, its validation threshold', 'screen_': 'as trained, the screening threshold (validation sensitivity 0.95)',
            'adapted_': 'adapted on the site, the threshold for adapted models', 'adapted_screen_': 'adapted on the site, the screening threshold for adapted models'}
    row = {f'{pre}test_{k[:4]}': s.loc[how, k] for pre, how in rows.items() for k in ('sensitivity', 'specificity')}
    return pd.DataFrame([dict(row, arm="the course's model (04a)", cpu=c['cpu'], size=c['size'], seed=c['seed'], test_auc=s.loc[rows[''], 'auc'],
                              adapted_test_auc=s.loc[rows['adapted_'], 'auc'], adapted_ceiling_test_spec=s.loc[rows['adapted_'], 'specificity_at_sensitivity_95'])])

def adapted_runs() -> pd.DataFrame:
    "Every adapted run's row (the recipes tables, the test log for runs adapted by hand), the course's model last."
    d = recipes()
    for c in ('adapted_test_auc', 'adapted_test_sens', 'adapted_test_spec', 'screen_test_sens', 'screen_test_spec', 'adapted_screen_test_sens',
              'adapted_screen_test_spec', 'adapted_ceiling_test_spec', 'site_prevalence'):
        if c not in d: d[c] = float('nan')
    log = pd.read_csv(ROOT/'benchmarks'/'test_log.csv').query("threshold == 'youden'").drop_duplicates('model', keep='last').set_index('model')
    by_hand = d.adapted_test_auc.isna() & (d.arm + '-adapted').isin(log.index)     # adapted by hand (pneumo adapt, then evaluate --log)
    for src, dst in (('auc', 'adapted_test_auc'), ('sensitivity', 'adapted_test_sens'), ('specificity', 'adapted_test_spec')):
        d.loc[by_hand, dst] = log[src].reindex(d.arm[by_hand] + '-adapted').values
    return pd.concat([d[d.adapted_test_auc.notna()], course_point()], ignore_index=True)

def points():
    "Every adapted run at both thresholds chosen on validation, as trained and adapted, against the new-site goal; the course's model last."
    d = adapted_runs()
    pair = lambda a, b: [f'{x:.3f} / {y:.3f}' if pd.notna(x) else '' for x, y in zip(d[a], d[b])]
    met = lambda a, b: ['' if pd.isna(x) else 'yes' if x >= GOAL['sensitivity'] and y >= GOAL['specificity'] else 'no' for x, y in zip(d[a], d[b])]
    return md(pd.DataFrame({'arm': d.arm, 'cpu': d.cpu, 'size': d['size'].astype(int), 'seed': d.seed.astype(int), 'test AUC as trained / adapted': pair('test_auc', 'adapted_test_auc'),
        'Youden, as trained': pair('test_sens', 'test_spec'), 'Youden, adapted': pair('adapted_test_sens', 'adapted_test_spec'),
        'screening, as trained': pair('screen_test_sens', 'screen_test_spec'), 'screening, adapted': pair('adapted_screen_test_sens', 'adapted_screen_test_spec'),
        'goal met adapted: Youden / screening': [f'{a} / {b}' if b else a for a, b in zip(met('adapted_test_sens', 'adapted_test_spec'), met('adapted_screen_test_sens', 'adapted_screen_test_spec'))],
        'adapted: best specificity at sensitivity 0.95 (reference, from the labels)': d.adapted_ceiling_test_spec.map(f3),
        "share of pneumonia estimated at the site by `pneumo adapt`": d.site_prevalence.map(f3)}))

def plot_points(path:Path):
    "The points table as a figure: each run's sensitivity and specificity on test/, as trained and adapted, at both thresholds, beside the goal."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    d = adapted_runs()
    family = d.arm.str.replace(r'-s\d+$|\d+$', '', regex=True).replace({'T': 'T (224 px, one hour)', "the course's model (04a)": "the course's model"})
    low = lambda k: d.filter(regex=f'test_{k}$').min().min()                  # no run falls outside the axes
    fig, axs = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True, sharex=True)
    for ax, (name, pre) in zip(axs, (("Youden's threshold (shipped)", ''), ('the screening threshold', 'screen_'))):
        ax.add_patch(plt.Rectangle((GOAL['specificity'], GOAL['sensitivity']), 1, 1, color='C2', alpha=0.12, label='the goal'))
        for i, (fam, g) in enumerate(d.groupby(family, sort=False)):
            x0, y0, x1, y1 = (g[f'{a}{pre}test_{k}'] for a in ('', 'adapted_') for k in ('spec', 'sens'))
            ax.scatter(x1, y1, color=f'C{i}', s=24, label=fam, zorder=3)
            ax.scatter(x0, y0, facecolors='none', edgecolors=f'C{i}', s=70, zorder=3)   # larger: a point adapting left where it was shows as a ring round a dot
            for a, b, c, e in zip(x0, y0, x1, y1):
                if pd.notna(a) and pd.notna(c): ax.annotate('', (c, e), (a, b), arrowprops=dict(arrowstyle='->', color=f'C{i}', alpha=0.5, lw=0.8))
        ax.set(xlim=(min(0.55, low('spec') - 0.02), 0.99), ylim=(min(0.945, low('sens') - 0.005), 1.0), xlabel="specificity on test/", title=name)
    axs[0].set_ylabel('sensitivity on test/')
    fig.legend(*axs[0].get_legend_handles_labels(), fontsize=7.5, loc='lower center', ncol=3, frameon=False)
    fig.suptitle("The operating point at a new site: every adapted run, as trained (hollow) and adapted (filled)", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1)); fig.savefig(path, dpi=110); plt.close(fig)

def levers():
    d = pd.concat([pd.read_csv(f).assign(cpu=f.stem.split('-', 1)[1]) for f in globbed('levers-*.csv')], ignore_index=True)
    return md(pd.DataFrame({'arm (seeds -s0, -s1, ...)': d.group, 'cpu': d.cpu, 'seeds': d.seeds, 'epochs': d.epochs, 'validation AUC (mean)': d.valid_auc.map(f3),
                            'test AUC mean ± sd': [f'{m:.3f} ± {s:.3f}' for m, s in zip(d.test_auc_mean, d.test_auc_sd)],
                            'test AUC range': [f'{a:.3f}–{b:.3f}' for a, b in zip(d.test_auc_min, d.test_auc_max)],
                            'seed ensemble test AUC': d.get('ensemble_test_auc', pd.Series([None]*len(d))).map(f3)}))

def all_runs():
    d = recipes()
    return md(d[['arm', 'cpu', 'runner', 'precision', 'epochs', 'valid_auc', 'test_auc', 'threshold', 'test_sens', 'test_spec', 'what']])

def speed():
    rows = []
    for f in globbed('speed-*.json'):
        s = json.loads(f.read_text()); kind = f.stem.split('-', 1)[1]
        tb = s.get('train_baseline', {})
        rows += [dict(cpu=kind, path='training, the plain PyTorch baseline (fp32)', speed=f"{tb.get('imgs_per_s', '')} img/s", ratio='1×'),
                 dict(cpu=kind, path=f"training, `pneumo train` ({s['train_pneumo']['precision']})", speed=f"{s['train_pneumo']['imgs_per_s']} img/s", ratio=f"{s.get('train_ratio', '')}×"),
                 dict(cpu=kind, path='scoring, a plain fp32 loop', speed=f"{s['score_plain_fp32']['films_per_s']} films/s", ratio='1×')]
        rows += [dict(cpu=kind, path=f"scoring, `score_files`, {e}", speed=f"{s[k]['films_per_s']} films/s", ratio=f"{s[k]['ratio']}×")
                 for e, k in (('PyTorch', 'score_torch'), ('ONNX Runtime', 'score_onnx'), ('ONNX Runtime int8', 'score_onnx-int8')) if k in s]
        rows += [dict(cpu=kind, path='Grad-CAM heatmaps', speed=f"{s['heatmaps']['films_per_s']} films/s", ratio=''),
                 dict(cpu=kind, path='the machine: fp32 / bf16 / int8 matrix products', speed=' / '.join(f"{s['limits_gflops'][k]} G{'OP' if k == 'int8' else 'FLOP'}/s" for k in ('fp32', 'bf16', 'int8')), ratio='')]
    return md(pd.DataFrame(rows))

def few_labels():
    d = pd.read_csv(RES/'few-labels.csv')
    pct = lambda v: f'{v:.0%}'
    return md(pd.DataFrame({'arm': d.arm, 'labelled films of the site': d.labelled_films, 'threshold': d.rule, 'draws': [f'{n}' + (f' ({o} of one class, left out)' if o else '') for n, o in zip(d.draws, d.draws_one_class)],
                            'sensitivity on the other films: mean (5th percentile)': [f'{m:.3f} ({q:.3f})' for m, q in zip(d.sens_mean, d.sens_p05)],
                            'specificity: mean (5th percentile)': [f'{m:.3f} ({q:.3f})' for m, q in zip(d.spec_mean, d.spec_p05)],
                            'draws with sensitivity ≥ 0.95': d.share_sens_goal.map(pct), 'draws meeting the goal': d.share_goal.map(pct)}))

def site_threshold():
    d = pd.read_csv(RES/'site-threshold.csv')
    return md(pd.DataFrame({'arm': d.arm, 'threshold': d.rule, 'aim (sensitivity)': d.aim, 'threshold (probability)': d.threshold.map(lambda v: f'{v:.3f}'),
                            'sensitivity / specificity on test/': [f'{s:.3f} / {c:.3f}' for s, c in zip(d.sensitivity, d.specificity)],
                            'goal met': d.goal_met.map({True: 'yes', False: 'no'}),
                            "share of pneumonia: the mixture's / test/'s": [f'{e:.3f} / {t:.3f}' if pd.notna(e) else '' for e, t in zip(d.share, d.true_share)]}))

def tests():
    d = pd.read_csv(RES/'test-times.csv')
    return md(d.assign(minutes=(d.seconds/60).round(1)).drop(columns='seconds'))

TABLES = dict(course=course, new_site=new_site, hour=hour, points=points, levers=levers, runs=all_runs, speed=speed, tests=tests, few_labels=few_labels, site_threshold=site_threshold)

MADE_BY = dict(course='refresh_lessons.py (04_evaluate)', new_site='refresh_lessons.py (04a_new_site)', hour='benchmarks/recipes.py', points='benchmarks/recipes.py and refresh_lessons.py (04a_new_site)',
               levers='benchmarks/recipes.py table --groups --save', runs='benchmarks/recipes.py', speed='benchmarks/speed.py --save',
               tests='tools/time_tests.py', few_labels='benchmarks/few_labels.py', site_threshold='benchmarks/site_threshold.py')

def fill(text:str) -> tuple:
    "The README with every table between its markers made anew from its file, and the tables whose file is missing."
    missing = []
    for name, make in TABLES.items():
        try: table = make()
        except FileNotFoundError as e: missing.append(f"{name} (no {Path(e.filename).relative_to(ROOT)}: run {MADE_BY[name]})"); continue
        text = re.sub(rf'(<!-- table:{name} -->\n)(?:.*?\n)?(<!-- /table:{name} -->)', lambda m: m.group(1) + table + '\n' + m.group(2), text, flags=re.S)
    return text, missing

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--check', action='store_true')
    a = ap.parse_args()
    readme = ROOT/'README.md'
    old = readme.read_text()
    new, missing = fill(old)
    missing += [f"{n} (no <!-- table:{n} --> marker in README.md)" for n in TABLES if f'<!-- table:{n} -->' not in old]
    for m in missing: print(f"README table {m}")
    if a.check:
        ok = old == new and not missing
        print("README tables match their files." if ok else "README tables differ from their files: run python tools/readme_tables.py")
        sys.exit(0 if ok else 1)
    readme.write_text(new); print(f"README tables filled ({len(TABLES) - len(missing)} of {len(TABLES)}).")
    plot_points(RES/'points.png'); print(f"and the points table drawn: {(RES/'points.png').relative_to(ROOT)}")
