"""Training throughput: `pneumo train` against the seed recipe in plain PyTorch, side by side, in one run.

usage: python benchmarks/train_speed.py [DATA] [--limit 320] [--size 224] [--seed-script PATH]

Both train DenseNet-121 from scratch (no ImageNet weights needed) on the same data at the same size,
one after the other on this machine, and each reports training images per second over its whole run
(validation included, as the seed script counts it). Timings on a shared machine are noisy: read the
ratio, and rerun it rather than trusting one number.
"""
import argparse, json, subprocess, sys, tempfile, time
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument('data', nargs='?', default='../shared/data/chest_xray')
ap.add_argument('--limit', type=int, default=320, help='training images for each run')
ap.add_argument('--size', type=int, default=224)
ap.add_argument('--seed-script', default='../shared/bench/seed_baseline.py')
a = ap.parse_args()
if not Path(a.data).is_dir() or not Path(a.seed_script).is_file():
    sys.exit(f"Needs the data ({a.data}) and the seed script ({a.seed_script}).")
tmp = Path(tempfile.mkdtemp())

def run(cmd):
    print('$', ' '.join(map(str, cmd)), flush=True)
    t = time.time(); subprocess.run(list(map(str, cmd)), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.time() - t

wall_seed = run([sys.executable, a.seed_script, a.data, '--size', a.size, '--epochs', 1, '--minutes', 60, '--limit', a.limit, '--out', tmp/'seed.json'])
seed = json.loads((tmp/'seed.json').read_text())
wall_ours = run(['pneumo', 'train', a.data, '--out', tmp/'ours', '--size', a.size, '--epochs', 1, '--limit', a.limit,
                 '--no-pretrained', '--precision', 'auto'])
ours = json.loads((tmp/'ours'/'metrics.json').read_text())
res = dict(size=a.size, limit=a.limit, seed_fp32_imgs_per_s=seed['imgs_per_s'], pneumo_imgs_per_s=ours['imgs_per_s'],
           pneumo_precision=ours['precision'], ratio=round(ours['imgs_per_s']/seed['imgs_per_s'], 2),
           wall_s=dict(seed=round(wall_seed), pneumo=round(wall_ours)))
print(json.dumps(res))
