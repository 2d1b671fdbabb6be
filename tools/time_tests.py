"""Run the README's test commands as CI does, and add how long each took to benchmarks/results/test-times.csv.

usage: python tools/time_tests.py [--busy]     (--busy: with another process keeping one core busy the whole time)
The second command runs only with PNEUMO_DATA set. The README's table of test times is made from the CSV.
"""
import argparse, re, subprocess, sys, time
from datetime import date
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pneumo_nb.core import cpu_kind, write_table
ap = argparse.ArgumentParser(); ap.add_argument('--busy', action='store_true'); a = ap.parse_args()
block = re.search(r'<!-- tests -->\n```sh\n(.*?)```\n<!-- /tests -->', (ROOT/'README.md').read_text(), re.S).group(1)
cpu = cpu_kind()
busy = subprocess.Popen([sys.executable, '-c', 'while True: pass']) if a.busy else None
rows = []
try:
    for cmd in filter(None, block.splitlines()):
        if cmd.startswith('PNEUMO_LIMIT') and 'PNEUMO_DATA' not in __import__('os').environ: continue
        t = time.monotonic(); r = subprocess.run(cmd, shell=True, cwd=ROOT, stdin=subprocess.DEVNULL)
        rows.append(dict(date=str(date.today()), cpu=cpu, load='one core kept busy' if busy else 'none', command=cmd,
                         passed=r.returncode == 0, seconds=round(time.monotonic() - t)))
        print(rows[-1], flush=True)
finally:
    if busy: busy.kill()
f = ROOT/'benchmarks'/'results'/'test-times.csv'
old = pd.read_csv(f) if f.exists() else pd.DataFrame()
write_table(pd.concat([old, pd.DataFrame(rows)], ignore_index=True), f)
sys.exit(0 if all(r['passed'] for r in rows) else 1)
