"""A copy of a data folder with everything beside the patient's body blacked out: the masking lever, tried cheaply.

usage: python benchmarks/masked.py DATA OUT [--workers N]     (N: every core unless given)

Every film of DATA's train/, val/ and test/ (any depth) is written to the same place under OUT, as a lossless PNG of the
same name, with its pixels outside `body_mask` set to black. `body_mask` (pneumo_nb.gradcam, lesson 05) keeps each row
of the film from the body's left edge to its right edge, found from the film's own grey levels: markers, letters and
the film's edges beside the body leave the picture; the neck, the belly and the arms' roots stay. The mask reads
nothing but the film's pixels, so a new site's films are masked exactly as training films are: the arms that use OUT
(`data = "masked"` in benchmarks/arms.toml) train on it, score its test/ and adapt to its test/ pixels.

It is an experiment's data path, not the library's: if masking beats the defaults over the seeds, it belongs in
`squish` (and in the ONNX consumer's preprocessing); if not, this script and its arms are the record of why not.
A film already written is kept, so an interrupted run resumes; OUT/.complete, written last, names DATA, and a copy made
from another folder is refused rather than reused.
"""
import argparse, os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import numpy as np
from PIL import Image
from tqdm.auto import tqdm
from pneumo_nb.core import atomic_path
from pneumo_nb.data import images_below, load_xray
from pneumo_nb.gradcam import body_mask

def mask_film(img:Image.Image, # a grey film
             ) -> Image.Image:
    "The film with every pixel outside its `body_mask` set to black (the mask found at 256 px, scaled to the film)."
    m = Image.fromarray(body_mask(img).astype(np.uint8)*255).resize(img.size, Image.NEAREST)
    return Image.fromarray(np.where(np.asarray(m) > 0, np.asarray(img.convert('L')), 0).astype(np.uint8))

def _one(job):
    src, dst = job
    if dst.exists(): return
    dst.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dst) as tmp: mask_film(load_xray(src)).save(tmp, format='PNG', compress_level=1)

def masked_copy(data:Path, out:Path, workers:int=2) -> Path:
    "Write the masked copy of `data` to `out` (resuming where a copy stopped); return `out`."
    if (done := out/'.complete').exists():
        if (made := done.read_text().splitlines()[0]) != str(data): raise SystemExit(f"{out} is a masked copy of {made}, not of {data}: name another folder.")
        return out
    ignored = []
    files = [f for split in ('train', 'val', 'test') if (data/split).is_dir() for f in images_below(data/split, ignored)]
    if bad := [(f, why) for f, why in ignored if why != 'macOS/OS metadata']:
        raise SystemExit(f"{data}: {len(bad)} files are not films (first: {bad[0][0]}, {bad[0][1]}): remove them first.")
    if not files: raise SystemExit(f"{data} has no films in train/, val/ or test/: pass the data root itself.")
    jobs = [(f, out/f.relative_to(data).with_suffix('.png')) for f in files]
    if len({d for _, d in jobs}) < len(jobs): raise SystemExit(f"{data} holds two films of one name but for the extension: rename one.")
    with ProcessPoolExecutor(workers) as pool: list(tqdm(pool.map(_one, jobs, chunksize=16), total=len(jobs), desc='masking films'))
    done.write_text(f"{data}\n{len(jobs)} films\n")
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('data', type=Path); ap.add_argument('out', type=Path); ap.add_argument('--workers', type=int, default=os.cpu_count())
    a = ap.parse_args()
    print(masked_copy(a.data.resolve(), a.out.resolve(), a.workers))
