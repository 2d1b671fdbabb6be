"""No test decides by the wall clock: in every notebook, a code cell that reads a clock (time.time, perf_counter,
monotonic, datetime.now, a films-per-second measurement) holds no assertion. Timings are printed, in cells of their own;
whatever a test asserts must come out the same on a slow or busy machine (budgets run on `pneumo_nb.testing.StepClock`).
Prints the offending cells; exits 1 if there is one.

usage: python tools/check_tests.py
"""
import json, re, sys
from pathlib import Path

NBS = Path(__file__).resolve().parent.parent/'nbs'
CLOCK = re.compile(r'\btime\.time\(|perf_counter\(|\bmonotonic\(|datetime\.now\(|films_per_second\(|\bclock\(\)')
ASSERT = re.compile(r'^\s*(?:.*;\s*)?(?:test(?:_eq|_ne|_close|_fail)?\(|assert\s)', re.M)
bad = []
for nb in sorted(NBS.glob('*.ipynb')):
    for i, c in enumerate(json.loads(nb.read_text())['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or '#| export' in src: continue
        if CLOCK.search(src) and ASSERT.search(src): bad.append(f"{nb.name}, cell {i}: reads the clock and asserts: {src.splitlines()[0][:80]}")
for b in bad: print('FAIL:', b)
print(f"{len(bad)} test cell(s) that read the clock and assert." if bad else "No test cell reads the clock and asserts.")
sys.exit(1 if bad else 0)
