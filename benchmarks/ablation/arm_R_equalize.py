"""Arm R of the recipe ablation: `pneumo train` as arm B (its defaults from scratch at 96 px, 30 minutes), with every
film's grey levels equalised (`PIL.ImageOps.equalize`, a global histogram equalisation of the whole film) before it is
squished: in training, validation and scoring alike. It asks whether per-film intensity normalisation narrows the shift
of the official test set's normal films. Trains, then scores test/ once at the validation (Youden) threshold in the same
process (the model folder alone does not know about the equalisation) and logs the scoring.
usage: OMP_NUM_THREADS=1 python arm_R_equalize.py $PNEUMO_DATA OUT [--seed S] [--log benchmarks/test_log.csv]"""
import argparse, os, tempfile
from pathlib import Path
from PIL import ImageOps
import pneumo_nb.data as D, pneumo_nb.augment as A, pneumo_nb.infer as I

ap = argparse.ArgumentParser()
ap.add_argument('root'); ap.add_argument('out'); ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--log', default=str(Path(__file__).parents[1]/'test_log.csv'))
a = ap.parse_args()
os.environ['PNEUMO_CACHE'] = tempfile.mkdtemp()       # decoded films of other arms are not equalised
_squish = D.squish
def squish_equalized(img, size): return _squish(ImageOps.equalize(img.convert('L')), size)
D.squish = A.squish = I.squish = squish_equalized

from pneumo_nb.train import train
from pneumo_nb.evaluate import evaluate, log_scoring
train(a.root, a.out, pretrained=False, size=96, budget='30m', seed=a.seed)
r = evaluate(a.out, Path(a.root)/'test', progress=False)
log_scoring(r, a.log, f"arm_R_equalize.py $PNEUMO_DATA {Path(a.out).name} --seed {a.seed} (OMP_NUM_THREADS=1; arm B with "
            "every film histogram-equalised before squishing; evaluate test in-process at the validation threshold)")
print(r['ranking'], r['at'])
