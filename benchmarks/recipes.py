"""The recipe experiments: every arm of `benchmarks/arms.toml` run from the manifest, scored, logged and tabled.

usage:
  python benchmarks/recipes.py list
  python benchmarks/recipes.py run ARM [ARM ...] [--data DIR] [--runs runs] [--parallel 2 | --core K] [--results CSV] [--log CSV] [--set KEY=VALUE]
  python benchmarks/recipes.py table [--results CSV] [--groups [--save CSV]]
  python benchmarks/recipes.py agree ARM [ARM ...] [--save CSV]
  python benchmarks/recipes.py check [--data PHANTOMS]

`run` trains each arm as the manifest says (one core each; `--parallel 2` runs two at a time, one a core), scores the
official test set once (pneumo arms with `pneumo evaluate --log`; baseline arms score it themselves and are logged here),
and adds a row per arm to the results table as soon as the arm is done. An arm with `adapt = true` is then adapted to
test/'s pixels (`pneumo adapt`, which never reads a label) and the adapted folder scored and logged too: its row gains
the adapted AUC, threshold, sensitivity and specificity. A pneumo arm's row also holds sensitivity and specificity at
its screening threshold (the highest that kept validation sensitivity at 0.95), before and after adapting, and the best
specificity any threshold gives on test/ at sensitivity 0.95 (a ceiling read from the labels, never a choice); an
adapted arm's row also keeps the share of pneumonia `pneumo adapt` estimated at the site. `--core K` pins the runs to core K (several runners
can share a machine, one a core). `--set` overrides an argument of every arm run (`--set size=32`), for quick
trials: such runs are not logged. `table --groups` summarises arms that differ only in their seed (`<name>-s<seed>`):
mean and spread of test AUC, and the AUC of their probabilities averaged (a seed ensemble). `agree` asks whether runs
fail on the same normal films of test/: for each pair of arms, how many of their 40 most confident false alarms (the
normal films each scores highest) they share, and the rank correlation of their scores over all normal films. `check` builds every arm's
command and runs two of them (one of each runner) for a few batches on a phantom set, and `benchmarks/site_threshold.py`
on the adapted one: what CI runs, so the manifest and the scripts that read its runs cannot rot. An arm with `data = "masked"` trains, scores and adapts on runs/masked-data, a copy of the data whose films
have everything beside the body blacked out (`benchmarks/masked.py`, made on the first such arm's run).
"""
import argparse, json, os, queue, shutil, subprocess, sys, tempfile, time, tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np, pandas as pd
from pneumo_nb.core import cpu_kind
from pneumo_nb.folder import ModelFolder
from pneumo_nb.data import images_below, load_xray
from masked import masked_copy
import site_threshold

HERE = Path(__file__).resolve().parent
ARMS = tomllib.loads((HERE/'arms.toml').read_text())

def flags(args:dict) -> list:
    "Command-line flags from an arm's arguments: `key = true` is a switch, anything else `--key value`."
    out = []
    for k, v in args.items():
        if v is True: out.append('--' + k.replace('_', '-'))
        elif v is not False: out += ['--' + k.replace('_', '-'), str(v)]
    return out

def command(arm:str, data:str, runs:Path, overrides:dict|None=None) -> list:
    "The command that trains `arm` (and, for a baseline arm, scores test/)."
    spec = ARMS[arm]
    args = {**spec['args'], **(overrides or {})}
    if 'split_from' in spec: args['split'] = str(ModelFolder(runs/spec['split_from']).split)
    if spec['runner'] == 'baseline': return [sys.executable, str(HERE/'baseline.py'), data, *flags(args), '--out', str(runs/f'{arm}.json')]
    return ['pneumo', 'train', data, '--out', str(runs/arm), *flags(args)]

def shown(cmd:list, data:str, runs:Path) -> str:
    "A command as the log keeps it: the data as $PNEUMO_DATA, the repo's files relative to it, no path of this machine."
    s = ' '.join(Path(c).name if c == sys.executable else c for c in cmd)
    return s.replace(str(HERE.parent) + '/', '').replace(data, '$PNEUMO_DATA').replace(str(runs) + '/', 'runs/')

def run_one(arm:str, a, core:int|None) -> dict:
    "Train and score one arm; return its row of the results table."
    runs, spec = Path(a.runs).resolve(), ARMS[arm]
    if 'split_from' in spec and not ModelFolder(runs/spec['split_from']).split.is_file(): run_one(spec['split_from'], a, core)
    env = dict(os.environ, OMP_NUM_THREADS=str(spec.get('cores', 1)))
    pin = ['taskset', '-c', str(core)] if core is not None and spec.get('cores', 1) == 1 and shutil.which('taskset') else []
    data = str(masked_copy(Path(a.data).resolve(), runs/'masked-data')) if spec.get('data') == 'masked' else a.data
    cmd, t0 = command(arm, data, runs, a.overrides), time.time()
    print(f"[{arm}] {shown(cmd, a.data, runs)}", flush=True)
    r = subprocess.run(pin + cmd, env=env, capture_output=True, text=True)
    (runs/f'{arm}.log').write_text(r.stdout + r.stderr)
    if r.returncode: raise SystemExit(f"[{arm}] failed (exit {r.returncode}); see {runs/f'{arm}.log'}")
    rerun = f"python benchmarks/recipes.py run {arm}"
    if spec['runner'] == 'baseline':
        res = json.loads((runs/f'{arm}.json').read_text())
        row = dict(arm=arm, runner='baseline', precision='bf16' if res['bf16'] else 'fp32', size=res['size'], seed=res['seed'],
                   train_min=res['train_minutes'], epochs=res['epochs'], img_s=res['imgs_per_s'], valid_auc=res['best_val_auc'],
                   test_auc=res.get('test_auc'), threshold='0.5', test_sens=res.get('test_sens'), test_spec=res.get('test_spec'))
        if a.log and not a.overrides and 'test_auc' in res:
            from pneumo_nb.evaluate import append_log
            append_log(a.log, rerun, model=arm, data='test', n=res['n_test'], auc=res['test_auc'], threshold='0.5',
                       sensitivity=res['test_sens'], specificity=res['test_spec'])
    else:
        ev = ['pneumo', 'evaluate', str(runs/arm), str(Path(data)/'test'), *(['--log', a.log, '--log-command', rerun] if a.log and not a.overrides else [])]
        e = subprocess.run(ev, env=env, capture_output=True, text=True)
        (runs/f'{arm}.log').write_text(r.stdout + r.stderr + e.stdout + e.stderr)
        if e.returncode not in (0, 1): raise SystemExit(f"[{arm}] scoring failed; see {runs/f'{arm}.log'}")
        m, s = ModelFolder(runs/arm).info, scoring(runs/arm)
        row = dict(arm=arm, runner='pneumo', precision=m['precision'], size=m['size'], seed=m['seed'], train_min=m['train_minutes'],
                   epochs=m['epochs_run'], img_s=m['imgs_per_s'], valid_auc=round(m['valid_auc'], 4), test_auc=s['auc'],
                   threshold=f"{s['threshold']:.3g} (validation)", test_sens=s['sens'], test_spec=s['spec'],
                   screen_test_sens=s['screen_sens'], screen_test_spec=s['screen_spec'], ceiling_test_spec=s['ceiling_spec'])
        if spec.get('adapt'):                            # then adapted to test/'s pixels (never its labels), and scored again
            adapted = runs/f'{arm}-adapted'
            few = ['--min-films', '10'] if a.overrides else []   # quick trials adapt on however many films a phantom set has
            for step in (['pneumo', 'adapt', str(runs/arm), str(Path(data)/'test'), '--out', str(adapted), *few], [*ev[:2], str(adapted), *ev[3:]]):
                e = subprocess.run(step, env=env, capture_output=True, text=True)
                with open(runs/f'{arm}.log', 'a') as f: f.write(e.stdout + e.stderr)
                if e.returncode not in (0, 1): raise SystemExit(f"[{arm}] {step[1]} failed; see {runs/f'{arm}.log'}")
            s = scoring(adapted)
            row.update(adapted_test_auc=s['auc'], adapted_threshold=f"{s['threshold']:.3g} (validation, adapted)", adapted_test_sens=s['sens'],
                       adapted_test_spec=s['spec'], adapted_screen_test_sens=s['screen_sens'], adapted_screen_test_spec=s['screen_spec'],
                       adapted_ceiling_test_spec=s['ceiling_spec'], site_prevalence=round(ModelFolder(adapted).info['adapted_on']['prevalence'], 3))
    print(f"[{arm}] {time.time() - t0:.0f} s: validation AUC {row['valid_auc']}, test AUC {row['test_auc']}", flush=True)
    row = dict(row, what=spec['what'], command=rerun, cpu=cpu_kind())
    if not a.overrides: add_result(Path(a.results), row)
    return row

def scoring(model:Path) -> dict:
    """Test AUC, the shipped threshold, sensitivity and specificity at it and at the screening threshold, from what `pneumo evaluate` wrote;
    and the best specificity any threshold gives at sensitivity 0.95 (read from the labels: a ceiling, never a choice)."""
    from pneumo_nb.metrics import choose_thresholds
    t = json.loads((model/'eval-test'/'report.json').read_text())
    at, sc = t['at'][t['threshold_name'].split(' ')[0]], t['at']['screening']
    p = pd.read_csv(model/'eval-test'/'predictions.csv')
    best = choose_thresholds((p.label == 'PNEUMONIA').astype(int).values, p.probability.values, min_sens=0.95)['screening']
    return dict(auc=round(t['ranking']['auc'], 4), threshold=t['threshold'], sens=round(at['sensitivity'], 4), spec=round(at['specificity'], 4),
                screen_sens=round(sc['sensitivity'], 4), screen_spec=round(sc['specificity'], 4), ceiling_spec=round(best['specificity'], 4))

def add_result(results:Path, row:dict):
    "Replace or add one arm's row in the results table, under a lock (several runners may share it)."
    from pneumo_nb.core import claim, write_table
    results.parent.mkdir(parents=True, exist_ok=True)
    with claim(results):
        old = pd.read_csv(results) if results.is_file() else pd.DataFrame(columns=['arm'])
        write_table(pd.concat([old[old.arm != row['arm']], pd.DataFrame([row])], ignore_index=True), results)

def test_probabilities(arm:str, runs:Path) -> tuple:
    "An arm's test probabilities and labels, in a fixed order of the films."
    if ARMS[arm]['runner'] == 'baseline':
        r = json.loads((runs/f'{arm}.json').read_text())
        return np.array(r['test_probabilities']), np.array(r['test_labels'])
    p = pd.read_csv(runs/arm/'eval-test'/'predictions.csv').sort_values('path')
    return p.probability.values, (p.label == 'PNEUMONIA').astype(int).values

def groups(df:pd.DataFrame, runs:Path|None) -> pd.DataFrame:
    "Arms that differ only in their seed (`<name>-s<seed>`): seeds, mean and spread of test AUC, and the seed ensemble's AUC."
    from sklearn.metrics import roc_auc_score
    df = df.assign(group=df.arm.str.replace(r'-s\d+$', '', regex=True))
    out = []
    for g, d in df[df.arm.str.contains(r'-s\d+$')].groupby('group', sort=False):
        row = dict(group=g, seeds=len(d), epochs=round(d.epochs.mean(), 1), valid_auc=round(d.valid_auc.mean(), 4),
                   test_auc_mean=round(d.test_auc.mean(), 4), test_auc_sd=round(d.test_auc.std(ddof=1), 4),
                   test_auc_min=d.test_auc.min(), test_auc_max=d.test_auc.max())
        if runs is not None and all(((runs/a/'eval-test') if ARMS[a]['runner'] == 'pneumo' else runs/f'{a}.json').exists() for a in d.arm):
            ps = [test_probabilities(a, runs) for a in d.arm]
            row['ensemble_test_auc'] = round(roc_auc_score(ps[0][1], np.mean([p for p, _ in ps], 0)), 4)
        out.append(row)
    return pd.DataFrame(out)

def agreement(arms:list, runs:Path, k:int=40) -> pd.DataFrame:
    "For each pair of arms: the normal test films among both arms' `k` highest-scored normals, and the Spearman correlation of their scores on normals."
    from scipy.stats import spearmanr
    ps = {a: test_probabilities(a, runs) for a in arms}
    y = ps[arms[0]][1]
    if any(len(l) != len(y) or (l != y).any() for _, l in ps.values()): sys.exit("The arms scored different films: run them on the same test/.")
    normal = np.flatnonzero(y == 0)
    top = {a: set(normal[np.argsort(-p[normal], kind='stable')[:k]]) for a, (p, _) in ps.items()}
    return pd.DataFrame([dict(arm_a=a, arm_b=b, shared_top_false_alarms=len(top[a] & top[b]), of=k,
                              spearman_normals=round(spearmanr(ps[a][0][normal], ps[b][0][normal])[0], 3))
                         for i, a in enumerate(arms) for b in arms[i + 1:]])

def markdown(df:pd.DataFrame) -> str:
    cells = df.astype(object).where(df.notna(), '')
    return '\n'.join(['| ' + ' | '.join(df.columns) + ' |', '|' + '---|'*len(df.columns)] +
                     ['| ' + ' | '.join(map(str, r)) + ' |' for r in cells.itertuples(index=False)])

def check(a):
    "Every arm's command builds from the manifest; one arm of each runner trains briefly on phantoms."
    runs = Path(tempfile.mkdtemp())
    for arm in ARMS: command(arm, a.data, runs)
    tiny = dict(size=32, epochs=1, limit=64)
    a.overrides, a.runs, a.log = tiny, str(runs), None
    ARMS['B']['adapt'] = True                            # B is also adapted, as the arms with `adapt = true` are
    rows = [run_one('B', a, None)]
    a.overrides = {**tiny, 'minutes': 0.3}
    rows.append(run_one('A', a, None))
    ag = agreement(['B', 'A'], runs, k=5).iloc[0]        # the two runners' scores line up film by film
    assert 0 <= ag.shared_top_false_alarms <= 5 and -1 <= ag.spearman_normals <= 1, ag
    st = site_threshold.study('B', runs)                  # thresholds from B-adapted's unlabelled scores of test/, then scored
    assert st.threshold.between(0, 1).all() and st.sensitivity.between(0, 1).all() and len(st) == 2 + 2 * len(site_threshold.AIMS), st
    assert abs(site_threshold.self_check() - 0.95) < 0.02  # on sites where the logits are two normal distributions, the rule finds its aim
    films, copies = ([f for s in ('train', 'test') for f in images_below(d/s, [])] for d in (Path(a.data), masked_copy(Path(a.data).resolve(), runs/'masked-data', 1)))
    assert [c.relative_to(runs/'masked-data').with_suffix('') for c in copies] == [f.relative_to(a.data).with_suffix('') for f in films]
    blacked = [_blacked(f, c) for f, c in zip(films, copies)]     # the masked arms' films: each its film, with the pixels beside the body black
    assert all(0 <= b < 0.5 for b in blacked) and max(blacked) > 0, blacked
    shutil.rmtree(runs)
    print(f"{len(ARMS)} arms build; B and A ran on phantoms: test AUC {rows[0]['test_auc']} and {rows[1]['test_auc']}; "
          f"B adapted: {rows[0]['adapted_test_auc']}, its threshold from the site's unlabelled films {st.threshold.iloc[2]:.3g}; they share {ag.shared_top_false_alarms} of their 5 top false alarms; "
          f"masked copies of {len(films)} films black out {np.mean(blacked):.0%} of a film on average")

def _blacked(film:Path, copy:Path) -> float:
    "Share of a film's pixels its masked copy sets to black; every other pixel must be the film's own."
    f, c = (np.asarray(load_xray(p)) for p in (film, copy))
    assert f.shape == c.shape and ((c == f) | (c == 0)).all(), copy
    return float(((c == 0) & (f != 0)).mean())

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('what', choices=['list', 'run', 'table', 'agree', 'check']); ap.add_argument('arms', nargs='*')
    ap.add_argument('--data', default=os.environ.get('PNEUMO_DATA')); ap.add_argument('--runs', default='runs')
    ap.add_argument('--parallel', type=int, default=1); ap.add_argument('--core', type=int, help='pin every run to this core')
    ap.add_argument('--log', default=str(HERE/'test_log.csv'))
    ap.add_argument('--results', default=str(HERE/'results'/f'recipes-{cpu_kind()}.csv'))
    ap.add_argument('--set', action='append', default=[], help='KEY=VALUE: override an argument of every arm run (not logged)')
    ap.add_argument('--groups', action='store_true', help='with table: the seed groups')
    ap.add_argument('--save', help='with table --groups or agree: write the table to this CSV')
    a = ap.parse_args()
    a.overrides = {k: (True if v == 'true' else v) for k, v in (s.split('=', 1) for s in a.set)}
    if a.what == 'list':
        for arm, spec in ARMS.items(): print(f"{arm:>14} {spec['runner']:>8}: {spec['what']}")
    elif a.what == 'check': check(a)
    elif a.what == 'agree':
        out = agreement(a.arms, Path(a.runs))
        if a.save:
            from pneumo_nb.core import write_table
            write_table(out, a.save)
        print(markdown(out))
    elif a.what == 'table':
        df = pd.read_csv(a.results)
        out = groups(df, Path(a.runs)) if a.groups else df.drop(columns=['what', 'command'])
        if a.groups and a.save:
            from pneumo_nb.core import write_table
            if Path(a.save).exists():                     # an ensemble AUC whose runs are no longer here stays as it was measured
                kept = pd.read_csv(a.save).set_index(['group', 'seeds']).get('ensemble_test_auc', pd.Series(dtype=float))
                now = out.get('ensemble_test_auc', pd.Series(np.nan, index=out.index))
                out['ensemble_test_auc'] = [e if pd.notna(e) else kept.get((g, n)) for e, g, n in zip(now, out.group, out.seeds)]
            write_table(out, a.save)
        print(markdown(out))
    else:
        if not a.data: sys.exit("Pass --data DIR or set PNEUMO_DATA.")
        if bad := [x for x in a.arms if x not in ARMS]: sys.exit(f"Not in benchmarks/arms.toml: {', '.join(bad)}")
        Path(a.runs).mkdir(parents=True, exist_ok=True)
        if any(ARMS[x].get('data') == 'masked' for x in a.arms):       # made once, before the arms share it
            masked_copy(Path(a.data).resolve(), Path(a.runs).resolve()/'masked-data')
        cores = queue.Queue()
        for c in range(a.parallel): cores.put(c if a.parallel > 1 else a.core)
        def on_a_free_core(arm):
            core = cores.get()
            try: return run_one(arm, a, core)
            finally: cores.put(core)
        with ThreadPoolExecutor(a.parallel) as pool: rows = list(pool.map(on_a_free_core, a.arms))
        print(markdown(pd.DataFrame(rows).drop(columns=['what', 'command'])))
