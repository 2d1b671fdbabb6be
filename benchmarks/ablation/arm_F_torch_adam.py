"""Arm F of the recipe ablation: `pneumo train`'s default from-scratch recipe (fastai head, lr 1e-3 -> 1e-5) with torch
AdamW's moments (beta2 0.999, eps 1e-8) instead of fastai's Adam defaults (0.99, 1e-5).
usage: OMP_NUM_THREADS=1 python arm_F_torch_adam.py $PNEUMO_DATA OUT"""
import sys
from functools import partial
from fastai.vision.all import Adam
import pneumo_nb.model as M
M.Adam = partial(Adam, sqr_mom=0.999, eps=1e-8)
from pneumo_nb.train import train
train(sys.argv[1], sys.argv[2], pretrained=False, size=96, budget='30m')
