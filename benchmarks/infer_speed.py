"""Scoring throughput: `score_files` (the path `pneumo evaluate` uses) against a plain fp32 `torch.no_grad()` loop,
on the same files and the same network, in one run; and `explain` (probability + Grad-CAM overlay, as `pneumo predict --cam`).

usage: python benchmarks/infer_speed.py [DATA] [--model DIR] [--n 256] [--size 224] [--bs 32] [--onnx]

Without --model, a DenseNet-121 model folder is made by a one-epoch `pneumo train` on 64 images (weights do not
change the speed). The plain loop opens each file with PIL, applies torchvision's Resize/ToTensor/Normalize and
runs the model in fp32, NCHW, batch by batch. Both rates include decoding. Read the ratio: timings on a
shared machine are noisy.
"""
import argparse, json, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from PIL import Image
from torchvision import transforms as T
from pneumo_nb.evaluate import load_model, score_files, find_images
from pneumo_nb.gradcam import explain

ap = argparse.ArgumentParser()
ap.add_argument('data', nargs='?', default='../shared/data/chest_xray/train')
ap.add_argument('--model', help='model folder (default: make a DenseNet-121 one)')
ap.add_argument('--n', type=int, default=256, help='files to score')
ap.add_argument('--size', type=int, default=224)
ap.add_argument('--bs', type=int, default=32)
ap.add_argument('--onnx', action='store_true', help='also ONNX Runtime against PyTorch eager on one preprocessed batch (needs [deploy])')
a = ap.parse_args()
if not Path(a.data).is_dir(): sys.exit(f"Needs a data folder ({a.data}).")
if not a.model:
    a.model = Path(tempfile.mkdtemp())/'model'
    subprocess.run(['pneumo', 'train', str(Path(a.data).parent), '--out', str(a.model), '--size', str(a.size), '--epochs', '1',
                    '--limit', '64', '--no-pretrained', '--bs', '16'], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
files, _, _ = find_images(a.data)
paths = list(files.sample(min(a.n, len(files)), random_state=0).path)
xm = load_model(a.model)

def plain(model, paths):
    "The textbook loop: PIL + torchvision transforms, fp32, NCHW, no_grad."
    tf = T.Compose([T.Resize((xm.size, xm.size)), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    model = model.to(memory_format=torch.contiguous_format)
    out = []
    with torch.no_grad():
        for i in range(0, len(paths), a.bs):
            x = torch.stack([tf(Image.open(p).convert('RGB')) for p in paths[i:i+a.bs]])
            out.append(torch.sigmoid(model(x).view(-1)))
    return torch.cat(out)

score_files(xm, paths[:a.bs], a.bs, progress=False)                 # warm-up
t = time.time(); p_plain = plain(xm.model, paths); plain_s = time.time() - t
xm = load_model(a.model)
t = time.time(); scores, _ = score_files(xm, paths, a.bs, progress=False); ours_s = time.time() - t
t = time.time(); score_files(xm, paths, a.bs, tta=True, progress=False); tta_s = time.time() - t
t = time.time()
for i in range(0, len(paths), 16): explain(xm, paths[i:i+16])
cam_s = time.time() - t
res = dict(files=len(paths), size=xm.size, arch=xm.info.get('arch'), precision=xm.precision, threads=torch.get_num_threads(),
           plain_fp32_imgs_per_s=round(len(paths)/plain_s, 1), pneumo_imgs_per_s=round(len(paths)/ours_s, 1),
           pneumo_tta_imgs_per_s=round(len(paths)/tta_s, 1),
           predict_with_heatmap_imgs_per_s=round(len(paths)/cam_s, 1), ratio=round(plain_s/ours_s, 2),
           max_prob_diff=float((p_plain - torch.tensor(scores.probability.values)).abs().max()))
if a.onnx:
    from pneumo_nb.deploy import export_onnx, compare_speed
    from pneumo_nb.evaluate import preprocess
    from pneumo_nb.data import load_xray
    x = torch.stack([preprocess(load_xray(p), xm.size) for p in paths[:a.bs]])
    sp = compare_speed(load_model(a.model, precision='fp32'), export_onnx(xm, Path(tempfile.mkdtemp())/'m.onnx'), x)
    res['batch_only_imgs_per_s'] = {k: round(v, 1) for k, v in sp.items()}
print(json.dumps(res))
