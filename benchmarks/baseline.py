"""The plain PyTorch baseline: the reference recipe as a plain training loop, without fastai or pneumo_nb.

Provenance. The project started from a design (the "reference recipe": DenseNet-121, one logit, BCE with pos_weight,
AdamW 1e-4 -> 1e-5 cosine, batch 32, rotation 10 deg, flip, crop-resize, brightness/contrast, early stopping on validation
ROC-AUC, patient-level validation split). Its first implementation was a plain PyTorch loop kept beside the project as a
yardstick. This file is that loop as the project keeps it, behaviour unchanged, with the options the recipe experiments
needed as switches instead of patches: a seed, a split file, films squished or equalised first, pneumo_nb's data path,
a fixed number of epochs. `benchmarks/arms.toml` lists the runs made with it; `benchmarks/recipes.py` runs them.

What it does, exactly:
- patients: 10 % of train/'s patients (all classes together) held out at random for validation, or the split file given;
- augmentation (torchvision, per film, from the film's own JPEG): RandomResizedCrop(size, scale 0.8-1, aspect 3/4-4/3),
  RandomRotation(10) (nearest), RandomHorizontalFlip, ColorJitter(brightness 0.2, contrast 0.2); ImageNet normalisation;
- DenseNet-121 from scratch with a one-logit classifier; BCEWithLogitsLoss(pos_weight = normal/pneumonia films);
- AdamW(lr 1e-4, weight decay 1e-2 on every parameter), cosine to 1e-5 over --schedule-epochs epochs (50: the rate stays
  near 1e-4 for a 30-minute run), batch 32, a worker process decoding JPEGs;
- trains until --minutes of wall time or --epochs, keeps the best validation AUC (patience 5), then scores test/ at 0.5.

usage: python benchmarks/baseline.py $PNEUMO_DATA --size 96 --minutes 30 [--seed S] [--epochs N] [--out run.json]
"""
import argparse, json, random, re, tempfile, time
from pathlib import Path
import numpy as np, torch, torch.nn as nn
from PIL import Image, ImageOps
from sklearn.metrics import roc_auc_score
from torchvision import transforms as T
from torchvision.models import densenet121

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]

def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('root', help='data root with train/ (and test/)')
    ap.add_argument('--size', type=int, default=224); ap.add_argument('--minutes', type=float, default=30)
    ap.add_argument('--epochs', type=int, default=50, help='stop after this many epochs (or --minutes, whichever comes first)')
    ap.add_argument('--schedule-epochs', type=int, default=50, help='length of the cosine, in epochs')
    ap.add_argument('--seed', type=int, default=0); ap.add_argument('--patience', type=int, default=5)
    ap.add_argument('--bf16', action='store_true'); ap.add_argument('--channels-last', action='store_true')
    ap.add_argument('--split', help="a split file (pneumo's split.csv: path relative to root, is_valid) instead of the random one")
    ap.add_argument('--presquish', action='store_true', help='squish each film to --size before augmenting it')
    ap.add_argument('--equalize', action='store_true', help="equalise each film's grey levels first (train, validation, test)")
    ap.add_argument('--pneumo-data', action='store_true', help="feed the loop with pneumo_nb's data path: its split, films decoded "
                    "once at --size, batch transforms in the baseline's style (aug='torchvision')")
    ap.add_argument('--limit', type=int, default=0, help='at most this many training films (quick checks)')
    ap.add_argument('--out', help='write the result and the history here (JSON)')
    return ap.parse_args(argv)

def patient(p:Path) -> str:
    m = re.match(r'(person\d+)_', p.name) or re.match(r'(?:NORMAL2-)?(IM-\d+)', p.name)
    return m.group(1) if m else p.stem

def items(root:Path, split:str) -> list:
    return [(p, int(p.parent.name.upper() == 'PNEUMONIA')) for p in sorted((root/split).glob('*/*'))
            if p.suffix.lower() in ('.jpeg', '.jpg', '.png')]

class Films(torch.utils.data.Dataset):
    def __init__(self, xs, tf, a): self.xs, self.tf, self.a = xs, tf, a
    def __len__(self): return len(self.xs)
    def __getitem__(self, i):
        p, y = self.xs[i]
        im = Image.open(p).convert('L')
        if self.a.equalize: im = ImageOps.equalize(im)
        if self.a.presquish: im = im.resize((self.a.size, self.a.size), Image.BILINEAR)
        return self.tf(im.convert('RGB')), torch.tensor([float(y)])

def torchvision_loaders(a, root:Path):
    "The baseline's own data path: a patient split, JPEGs decoded and augmented per film in a worker process."
    tr = items(root, 'train'); random.shuffle(tr)
    if a.split:
        import pandas as pd
        sp = pd.read_csv(a.split); vf = {str(root/q) for q in sp.path[sp.is_valid]}
        train, valid = [x for x in tr if str(x[0]) not in vf], [x for x in tr if str(x[0]) in vf]
    else:
        pats = sorted({patient(p) for p, _ in tr}); random.shuffle(pats); vp = set(pats[:len(pats)//10])
        train, valid = [x for x in tr if patient(x[0]) not in vp], [x for x in tr if patient(x[0]) in vp]
    if a.limit: train, valid = train[:a.limit], valid[:max(a.limit//10, 32)]
    aug = T.Compose([T.RandomResizedCrop(a.size, scale=(0.8, 1.0)), T.RandomRotation(10), T.RandomHorizontalFlip(),
                     T.ColorJitter(0.2, 0.2), T.ToTensor(), T.Normalize(MEAN, STD)])
    plain = T.Compose([T.Resize((a.size, a.size)), T.ToTensor(), T.Normalize(MEAN, STD)])
    dl = lambda xs, tf, sh: torch.utils.data.DataLoader(Films(xs, tf, a), batch_size=32, shuffle=sh, num_workers=1, persistent_workers=True)
    test = items(root, 'test') if (root/'test').is_dir() else []
    npos = sum(y for _, y in train)
    return dl(train, aug, True), dl(valid, plain, False), dl(test, plain, False) if test else None, (len(train) - npos)/npos

def pneumo_loaders(a, root:Path):
    "pneumo_nb's data path under the same loop: its split, films decoded once, batch transforms."
    from pneumo_nb.data import split_data, scan_folder
    from pneumo_nb.augment import decode_films, xray_dataloaders
    _, df = split_data(root, seed=a.seed, limit=a.limit or None)
    films = decode_films(df.path, a.size, a.equalize)
    dls = xray_dataloaders(df, films, bs=32, aug='torchvision', device='cpu')
    ys = (df[~df.is_valid].label == 'PNEUMONIA')
    test = scan_folder(root).items.query("split == 'test'")
    wrap = lambda dl: ((torch.Tensor(x), torch.Tensor(y).float().view(-1, 1)) for x, y in dl)
    class Again:                                      # a fresh pass over a fastai loader each time it is iterated
        def __init__(self, make): self.make = make
        def __iter__(self): return wrap(self.make())
        def __len__(self): return len(self.make())
    return (Again(lambda: dls.train), Again(lambda: dls.valid), Again(lambda: dls.test_dl(test, with_labels=True)),
            float((~ys).sum()/ys.sum()))

def main(argv=None):
    a = parse(argv)
    torch.manual_seed(a.seed); random.seed(a.seed); np.random.seed(a.seed)
    root = Path(a.root)
    dtr, dva, dte, pos_weight = (pneumo_loaders if a.pneumo_data else torchvision_loaders)(a, root)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = densenet121(num_classes=1).to(memory_format=fmt)
    lossf = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([pos_weight]))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.schedule_epochs*len(dtr), eta_min=1e-5)

    def scores(d):
        model.eval(); ps, ys = [], []
        with torch.no_grad(), torch.autocast('cpu', torch.bfloat16, enabled=a.bf16):
            for x, y in d: ps.append(torch.sigmoid(model(x.to(memory_format=fmt)).float())); ys.append(y)
        return torch.cat(ps).view(-1).numpy(), torch.cat(ys).view(-1).numpy()

    ckpt = Path(tempfile.mkdtemp())/'best.pt'
    t0, best, bad, hist, seen = time.time(), -1., 0, [], 0
    for ep in range(a.epochs):
        model.train(); te = time.time()
        for x, y in dtr:
            with torch.autocast('cpu', torch.bfloat16, enabled=a.bf16): loss = lossf(model(x.to(memory_format=fmt)).float(), y)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step(); seen += len(x)
            if time.time() - t0 > a.minutes*60: break
        p, y = scores(dva); auc = roc_auc_score(y, p)
        hist.append(dict(epoch=ep, val_auc=round(auc, 4), epoch_s=round(time.time() - te, 1))); print(hist[-1], flush=True)
        if auc > best or not ckpt.exists(): best, bad = auc, 0; torch.save(model.state_dict(), ckpt)  # a one-class tiny set scores nan
        else: bad += 1
        if bad >= a.patience or time.time() - t0 > a.minutes*60: break
    train_s = time.time() - t0
    model.load_state_dict(torch.load(ckpt))
    res = dict(recipe='plain PyTorch baseline', size=a.size, seed=a.seed, bf16=a.bf16, train_minutes=round(train_s/60, 1),
               imgs_per_s=round(seen/train_s, 1), epochs=round(seen/(len(dtr)*32), 2), best_val_auc=round(best, 4))
    if dte is not None:
        p, y = scores(dte); pred = p >= 0.5
        res.update(test_auc=round(roc_auc_score(y, p), 4), test_sens=round(float(pred[y == 1].mean()), 4),
                   test_spec=round(float((~pred[y == 0]).mean()), 4), n_test=len(y), test_probabilities=[round(float(q), 5) for q in p],
                   test_labels=[int(t) for t in y])
    print(json.dumps({k: v for k, v in res.items() if not k.startswith('test_p') and k != 'test_labels'}))
    if a.out: Path(a.out).write_text(json.dumps(dict(res, history=hist), indent=1))
    return res

if __name__ == '__main__': main()
