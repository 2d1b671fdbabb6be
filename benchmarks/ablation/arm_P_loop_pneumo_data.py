"""Arm P of the recipe ablation: the seed loop's training, in plain PyTorch as `seed_baseline.py` has it (torchvision's
DenseNet-121 with its own one-logit classifier, BCEWithLogitsLoss with pos_weight, torch AdamW 1e-4 with weight decay on
every parameter, a cosine over 50 epochs, the best validation AUC kept), fed by `pneumo`'s data path: its patient split,
its decoded films and its batch transforms (the seed's augmentation, as in arm K). Against the seed loop (A, I) it
isolates the data path; against arm O (every part of the seed inside `pneumo train`), fastai's training loop.
Scores test at 0.5 itself, like the seed loop, and writes a JSON that `recipes.py` reads as a seed-loop run.
usage: OMP_NUM_THREADS=1 python arm_P_loop_pneumo_data.py $PNEUMO_DATA OUT.json [--seed S] [--minutes 30] [--limit N]"""
import argparse, json, tempfile, time
from pathlib import Path
import torch, torch.nn as nn
from sklearn.metrics import roc_auc_score
from torchvision.models import densenet121
from fastai.vision.all import set_seed
import pneumo_nb.augment as A
from pneumo_nb.data import scan_folder
from pneumo_nb.train import _split, _decoded
from arm_K_tv_aug import tv_tfms

ap = argparse.ArgumentParser()
ap.add_argument('root'); ap.add_argument('out'); ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--minutes', type=float, default=30); ap.add_argument('--limit', type=int, default=None)
a = ap.parse_args()
A.xray_tfms = tv_tfms
set_seed(a.seed, reproducible=True)
root, df = _split(a.root, None, 0.1, 'random', a.seed, a.limit, False)
df, films = _decoded(df, 96, False, True)
dls = A.xray_dataloaders(df, films, bs=32, device='cpu')
model = densenet121(num_classes=1)
train_labels = df.label[~df.is_valid]
lossf = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([(train_labels == 'NORMAL').sum()/(train_labels == 'PNEUMONIA').sum()]))
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50*len(dls.train), eta_min=1e-5)

def scores(dl):
    "Probabilities and labels (1 = pneumonia) over a loader, in eval mode."
    model.eval(); ps, ys = [], []
    with torch.no_grad():
        for x, y in dl: ps.append(torch.sigmoid(model(torch.Tensor(x)).float().view(-1))); ys.append(torch.Tensor(y).view(-1))
    return torch.cat(ps).numpy(), torch.cat(ys).numpy()

ckpt = Path(tempfile.mkdtemp())/'best.pt'
t0, best, hist, seen = time.time(), -1, [], 0
for ep in range(50):
    model.train(); te = time.time()
    for x, y in dls.train:
        loss = lossf(model(torch.Tensor(x)).float(), torch.Tensor(y).float().view(-1, 1))
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); seen += len(x)
        if time.time() - t0 > a.minutes*60: break
    p, y = scores(dls.valid); auc = roc_auc_score(y, p)
    hist.append(dict(epoch=ep, val_auc=round(auc, 4), epoch_s=round(time.time() - te, 1))); print(hist[-1], flush=True)
    if auc > best: best = auc; torch.save(model.state_dict(), ckpt)
    if time.time() - t0 > a.minutes*60: break
train_s = time.time() - t0
model.load_state_dict(torch.load(ckpt))
test = scan_folder(a.root).items.query("split == 'test'")
p, y = scores(dls.test_dl(test, with_labels=True)); pred = p >= 0.5
res = dict(recipe='seed loop on pneumo data', size=96, bf16=False, channels_last=False, train_minutes=round(train_s/60, 1),
           imgs_per_s=round(seen/train_s, 1), epochs=len(hist), best_val_auc=round(best, 4), seed=a.seed,
           test_auc=round(roc_auc_score(y, p), 4), test_acc=round(float((pred == y).mean()), 4),
           test_sens=round(float(pred[y == 1].mean()), 4), test_spec=round(float((~pred[y == 0]).mean()), 4), n_test=len(y))
print(json.dumps(res))
Path(a.out).write_text(json.dumps(dict(res, history=hist), indent=1))
