"""How many labelled films does a new site need to set its own threshold? A simulation on an adapted run's test scores.

usage: python benchmarks/few_labels.py ARM [ARM ...] [--runs runs] [--draws 500] [--seed 0] [--results CSV] [--figure PNG] [--log CSV]
       python benchmarks/few_labels.py --plot      (redraw the figure from the results file)

No rule chosen on validation carries the operating point over to test/ reliably (the README's table of operating
points). What a hospital can do instead is label a few of its own films and choose the threshold on them. This script
measures what that buys, on an arm that `python benchmarks/recipes.py run ARM` trained and adapted (`adapt = true` in
arms.toml): from the adapted folder's scores of test/ (runs/ARM-adapted/eval-test/predictions.csv), it draws k films at
random, as a hospital would label the films of a few days, chooses on them the highest threshold that keeps their
sensitivity at 0.95 (or, with a margin, 0.98: `choose_thresholds`, the rule that picks the screening threshold on
validation), and scores the other films at it. Each k is drawn `--draws` times. The rows with k = 0 are the two
thresholds the folder carries (chosen on the validation films, after adapting). A draw without films of both classes
cannot choose a threshold: such draws are counted in the table, not dropped.

The test labels are read here, so each row is a labelled scoring of test/ and is logged (--log; the mean over the draws).
"""
import argparse, json
from pathlib import Path
import numpy as np, pandas as pd
from pneumo_nb.metrics import choose_thresholds

HERE = Path(__file__).resolve().parent
GOAL = dict(sensitivity=0.95, specificity=0.85)   # the new-site goal, as in the README
KS, TARGETS = (25, 50, 100, 200), (0.95, 0.98)

def scores(adapted:Path) -> tuple:
    "The adapted folder's test probabilities and labels (1 = pneumonia), and its two validation thresholds."
    p = pd.read_csv(adapted/'eval-test'/'predictions.csv')
    r = json.loads((adapted/'eval-test'/'report.json').read_text())
    return p.probability.values, (p.label == 'PNEUMONIA').astype(int).values, {k: r['at'][k]['threshold'] for k in ('youden', 'screening')}

def rates(y:np.ndarray, p:np.ndarray, t:float) -> tuple:
    "Sensitivity and specificity when films with p >= t are called pneumonia."
    call = p >= t
    return call[y == 1].mean(), (~call[y == 0]).mean()

def simulate(y:np.ndarray, p:np.ndarray, k:int, target:float, draws:int, rng:np.random.Generator) -> dict:
    "Choose the threshold on k random films, score the rest; over `draws` draws."
    out, skipped = [], 0
    for _ in range(draws):
        pick = np.zeros(len(y), bool); pick[rng.choice(len(y), k, replace=False)] = True
        if y[pick].min() == y[pick].max(): skipped += 1; continue
        t = choose_thresholds(y[pick], p[pick], min_sens=target)['screening']['threshold']
        out.append(rates(y[~pick], p[~pick], t))
    s, c = np.array(out).T
    return dict(draws=len(out), draws_one_class=skipped, sens_mean=s.mean(), sens_p05=np.quantile(s, 0.05), spec_mean=c.mean(),
                spec_p05=np.quantile(c, 0.05), share_sens_goal=(s >= GOAL['sensitivity']).mean(),
                share_goal=((s >= GOAL['sensitivity']) & (c >= GOAL['specificity'])).mean())

def study(arm:str, runs:Path, draws:int, seed:int) -> pd.DataFrame:
    "Every row of the study for one arm: the folder's two thresholds, then each k and target."
    p, y, th = scores(runs/f'{arm}-adapted')
    rows = []
    for name, t in th.items():
        s, c = rates(y, p, t)
        rows.append(dict(arm=arm, n=len(y), labelled_films=0, rule=f'{name} (validation, adapted)', draws=1, draws_one_class=0, sens_mean=s, sens_p05=s,
                         spec_mean=c, spec_p05=c, share_sens_goal=float(s >= GOAL['sensitivity']),
                         share_goal=float(s >= GOAL['sensitivity'] and c >= GOAL['specificity'])))
    for target in TARGETS:
        rng = np.random.default_rng(seed)
        for k in KS:
            rows.append(dict(arm=arm, n=len(y) - k, labelled_films=k, rule=f'site films, sensitivity {target:.2f}', **simulate(y, p, k, target, draws, rng)))
    return pd.DataFrame(rows)

def figure(df:pd.DataFrame, path:Path):
    """Sensitivity and specificity on the films left against the number labelled: each arm a colour, each target a line style, the band down to
    the 5th percentile of the draws; a flat line for the screening threshold the folder carries (chosen on validation, no site labels)."""
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, axs = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    for c, (arm, d) in enumerate(df.groupby('arm', sort=False)):
        kept = d[d.rule.str.startswith('screening')].iloc[0]
        for (rule, g), ls in zip(d[d.labelled_films > 0].groupby('rule', sort=False), ('-', '--')):
            for ax, m in zip(axs, ('sens', 'spec')):
                ax.plot(g.labelled_films, g[f'{m}_mean'], ls, marker='o', color=f'C{c}', label=f'{arm}: threshold from k site films, {rule[12:]}')
                ax.fill_between(g.labelled_films, g[f'{m}_p05'], g[f'{m}_mean'], color=f'C{c}', alpha=0.07)
        for ax, m in zip(axs, ('sens', 'spec')):
            ax.axhline(kept[f'{m}_mean'], color=f'C{c}', ls=':', lw=2, label=f"{arm}: the folder's screening threshold (validation, no site labels)")
    for ax, m, goal in zip(axs, ('sensitivity', 'specificity'), (GOAL['sensitivity'], GOAL['specificity'])):
        ax.axhline(goal, color='k', lw=0.8); ax.set_xscale('log'); ax.minorticks_off()
        ax.set(xticks=KS, xticklabels=KS, xlabel='k: labelled films of the site', ylabel=f'{m} on the other films',
               title=f'{m} (black: the goal; bands down to the 5th percentile)')
    axs[1].legend(fontsize=7, loc='lower right')
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('arms', nargs='*')
    ap.add_argument('--plot', action='store_true', help='only redraw the figure from --results (no scoring, nothing logged)')
    ap.add_argument('--runs', default='runs')
    ap.add_argument('--draws', type=int, default=500)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--results', default=str(HERE/'results'/'few-labels.csv'))
    ap.add_argument('--figure', default=str(HERE/'results'/'few-labels.png'))
    ap.add_argument('--log', default=str(HERE/'test_log.csv'))
    a = ap.parse_args()
    if a.plot: return figure(pd.read_csv(a.results), Path(a.figure))
    if not a.arms: ap.error('name the arms to study (or --plot)')
    for arm in a.arms:
        if not (f := Path(a.runs)/f'{arm}-adapted'/'eval-test'/'predictions.csv').is_file():
            raise SystemExit(f"{f} does not exist: run `python benchmarks/recipes.py run {arm}` first (an arm with adapt = true).")
    df = pd.concat([study(arm, Path(a.runs), a.draws, a.seed) for arm in a.arms], ignore_index=True)
    from pneumo_nb.core import write_table
    from pneumo_nb.evaluate import append_log
    write_table(df.round(4), a.results)
    figure(df, Path(a.figure))
    cmd = f"python benchmarks/few_labels.py {' '.join(a.arms)} --draws {a.draws} --seed {a.seed}"
    for r in df[df.labelled_films > 0].itertuples():   # the k = 0 rows re-read the scorings recipes.py logged
        append_log(a.log, cmd, model=f'{r.arm}-adapted', data='test', n=r.n, auc='',
                   threshold=f'{r.rule}, {r.labelled_films} labelled (mean of {r.draws} draws)', sensitivity=round(r.sens_mean, 4), specificity=round(r.spec_mean, 4))
    print(df.round(3).to_string(index=False))
    print(f"wrote {a.results} and {a.figure}; {int((df.labelled_films > 0).sum())} scorings logged in {a.log}")

if __name__ == '__main__': main()
