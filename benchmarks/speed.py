"""How fast is pneumo_nb on this machine, next to plain PyTorch and next to what the hardware allows? One run, one machine.

usage: python benchmarks/speed.py [DATA] [--size 224] [--limit 320] [--n 192] [--skip-train] [--save]

DATA is the Kaggle folder (default $PNEUMO_DATA). It prints, for this machine:
- the matrix units' measured limits: fp32, bf16 and int8 matrix products on all cores;
- training: the plain PyTorch baseline (`benchmarks/baseline.py`) against `pneumo train`, DenseNet-121 from scratch at
  the same size, one epoch on the same `--limit` training films, each as a whole process: images/s and the ratio;
- scoring `--n` training films: a plain fp32 loop (PIL, torchvision transforms, NCHW, no_grad) against `score_files` with
  each engine (films/s, ratio, largest probability difference, AUC difference), heatmaps/s, and `pneumo evaluate` as a whole process;
- each path as a share of the limit its arithmetic allows.
Timings on a shared machine are noisy: read the ratios, and run it twice before believing a number.
"""
import argparse, json, os, platform, re, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
from sklearn.metrics import roc_auc_score
from torchvision import transforms as T

ap = argparse.ArgumentParser()
ap.add_argument('data', nargs='?', default=os.environ.get('PNEUMO_DATA'))
ap.add_argument('--size', type=int, default=224)
ap.add_argument('--limit', type=int, default=320, help='training films for each training run')
ap.add_argument('--n', type=int, default=192, help='films to score')
ap.add_argument('--no-baseline', action='store_true', help='do not time the plain PyTorch baseline')
ap.add_argument('--skip-train', action='store_true', help='score only (needs --model)')
ap.add_argument('--model', help='a model folder to score with (default: the one this run trains)')
ap.add_argument('--save', action='store_true', help='also write the results to benchmarks/results/<cpu kind>.json')
a = ap.parse_args()
if not a.data: sys.exit("Pass the data folder (or set PNEUMO_DATA).")
from pneumo_nb.data import find_data_root, find_images, load_xray
from pneumo_nb.model import cpu_has_bf16, pick_precision
from pneumo_nb.infer import load_model, score_files, forward_gflop
from pneumo_nb.folder import ModelFolder
from pneumo_nb.gradcam import explain
root, tmp, res = find_data_root(a.data), Path(tempfile.mkdtemp()), {}

def cpu_name():
    try: return re.search(r'model name\s*:\s*(.*)', Path('/proc/cpuinfo').read_text()).group(1)
    except (OSError, AttributeError): return platform.processor()

def gemm(dtype, n=2048, reps=4):
    "GFLOP/s of an n×n matrix product in `dtype` on all threads."
    x, y = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    torch.mm(x, y); t = time.perf_counter()
    for _ in range(reps): torch.mm(x, y)
    return 2*n**3*reps/(time.perf_counter() - t)/1e9

def int8_gemm(n=2048, reps=4):
    "GOP/s of an int8 matrix product in ONNX Runtime (MatMulInteger), the engine the int8 scoring path uses."
    import onnxruntime as ort
    from onnx import helper, TensorProto
    g = helper.make_graph([helper.make_node('MatMulInteger', ['a', 'b'], ['c'])], 'g',
                          [helper.make_tensor_value_info('a', TensorProto.UINT8, [n, n]), helper.make_tensor_value_info('b', TensorProto.INT8, [n, n])],
                          [helper.make_tensor_value_info('c', TensorProto.INT32, [n, n])])
    s = ort.InferenceSession(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]).SerializeToString(), providers=['CPUExecutionProvider'])
    feed = {'a': np.random.randint(0, 255, (n, n), dtype=np.uint8), 'b': np.random.randint(-128, 127, (n, n), dtype=np.int8)}
    s.run(None, feed); t = time.perf_counter()
    for _ in range(reps): s.run(None, feed)
    return 2*n**3*reps/(time.perf_counter() - t)/1e9

bf16 = cpu_has_bf16()
res['machine'] = dict(cpu=cpu_name(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(), bf16_units=bf16,
                      gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
res['limits_gflops'] = dict(fp32=round(gemm(torch.float32)), bf16=round(gemm(torch.bfloat16, 1024 if not bf16 else 2048, 1 if not bf16 else 4), 1),
                            int8=round(int8_gemm()))
from torchvision.models import densenet121
gflop = forward_gflop(densenet121(num_classes=1), a.size)
res['densenet121_gflop_per_film'] = dict(forward=round(gflop, 2), train_step=round(3*gflop, 2))
best = max(res['limits_gflops'].values())
print(json.dumps(res), flush=True)

def run(cmd):
    "Wall seconds of a command, output kept for the log."
    t = time.time(); p = subprocess.run(list(map(str, cmd)), capture_output=True, text=True)
    if p.returncode: sys.exit(f"{' '.join(map(str, cmd))} failed:\n{p.stderr[-2000:]}")
    return time.time() - t, p

model = Path(a.model) if a.model else tmp/'ours'
if not a.skip_train:
    if not a.no_baseline:
        wall, _ = run([sys.executable, Path(__file__).parent/'baseline.py', root, '--size', a.size, '--epochs', 1, '--minutes', 60, '--limit', a.limit, '--out', tmp/'baseline.json'])
        base = json.loads((tmp/'baseline.json').read_text())
        res['train_baseline'] = dict(imgs_per_s=base['imgs_per_s'], wall_s=round(wall))
    wall, _ = run(['pneumo', 'train', root, '--out', model, '--size', a.size, '--epochs', 1, '--limit', a.limit, '--no-pretrained'])
    m = ModelFolder(model).info
    res['train_pneumo'] = dict(imgs_per_s=m['imgs_per_s'], precision=m['precision'], wall_s=round(wall), whole_process_imgs_per_s=round(m['n_train']/wall, 2))
    res['train_share_of_limit'] = round(m['imgs_per_s']*3*gflop/best, 3)
    if 'train_baseline' in res:
        res['train_ratio'] = round(m['imgs_per_s']/res['train_baseline']['imgs_per_s'], 2)
        res['train_ratio_whole_process'] = round(res['train_baseline']['wall_s']/wall, 2)
    print(json.dumps({k: v for k, v in res.items() if k.startswith('train')}), flush=True)

files = find_images(root/'train')[0].sample(a.n, random_state=0)
paths, y = list(files.path), (files.label == 'PNEUMONIA').values.astype(int)
xm = load_model(model, engine='torch', precision='fp32')
tf = T.Compose([T.Grayscale(3), T.Resize((xm.size, xm.size)), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
net = xm.net().float().eval().to(memory_format=torch.contiguous_format)
t = time.time(); plain = []
with torch.no_grad():
    for i in range(0, len(paths), 32):
        plain.append(torch.sigmoid(net(torch.stack([tf(Image.open(p)) for p in paths[i:i+32]])).view(-1)))
plain_s = time.time() - t
plain = torch.cat(plain).numpy()
res['score_plain_fp32'] = dict(films_per_s=round(len(paths)/plain_s, 1), share_of_limit=round(len(paths)/plain_s*gflop/best, 3))
raw = lambda xm, p: 1/(1 + np.exp(-(np.log(p/(1 - p)) - (xm.calibration or {}).get('b', 0))/(xm.calibration or {}).get('a', 1)))
engines = ['torch', 'onnx'] + (['onnx-int8'] if ModelFolder(model).int8.exists() else [])
for e in engines:
    xe = load_model(model, engine=e)
    score_files(xe, paths[:32], progress=False)                                   # warm-up
    t = time.time(); s, _ = score_files(xe, paths, progress=False); secs = time.time() - t
    p = raw(xe, s.probability.values)
    res[f'score_{e}'] = dict(films_per_s=round(len(paths)/secs, 1), ratio=round(plain_s/secs, 2), precision=xe.precision,
                             max_prob_diff=float(np.abs(p - plain).max()), auc_diff=round(float(roc_auc_score(y, p) - roc_auc_score(y, plain)), 4),
                             share_of_limit=round(len(paths)/secs*gflop/best, 3))
xa = load_model(model)
t = time.time()
for i in range(0, len(paths), 16): explain(xa, paths[i:i+16])
res['heatmaps'] = dict(engine=xa.engine.name, films_per_s=round(len(paths)/(time.time() - t), 1))
link = tmp/'score'; (link/'PNEUMONIA').mkdir(parents=True); (link/'NORMAL').mkdir()
for p in paths: (link/p.parent.name/p.name).symlink_to(p)
wall, _ = run(['pneumo', 'evaluate', model, link, '--out', tmp/'eval'])
res['evaluate_whole_process'] = dict(films=len(paths), wall_s=round(wall, 1), films_per_s=round(len(paths)/wall, 1), engine=xa.engine.name)
res['date'] = time.strftime('%Y-%m-%d')
print(json.dumps(res, indent=1))
if a.save:
    kind = 'gpu' if res['machine']['gpu'] else 'avx512-bf16' if bf16 else 'avx2'
    out = Path(__file__).parent/'results'/f'speed-{kind}.json'
    out.parent.mkdir(exist_ok=True); out.write_text(json.dumps(res, indent=1) + '\n'); print(f"saved {out}")
