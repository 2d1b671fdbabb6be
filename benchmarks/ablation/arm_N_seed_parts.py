"""Arm N of the recipe ablation: every part of the seed loop that differs, inside `pneumo train`: its head (arm L), its
learning rate of 1e-4 throughout (arm J) and its torchvision-style augmentation (arm K). Options: `--seed S`;
`--wd-bn-bias`, weight decay on batch-norm and bias parameters too, as torch's AdamW does in the seed loop (fastai leaves
them out); `--torch-adam`, torch AdamW's moments (as arm F). Arm O is N with both.
usage: OMP_NUM_THREADS=1 python arm_N_seed_parts.py $PNEUMO_DATA OUT [--seed S] [--wd-bn-bias] [--torch-adam]"""
import sys
from functools import partial
from fastai.vision.all import Adam
import pneumo_nb.augment as A, pneumo_nb.model as M, pneumo_nb.train as T
from arm_K_tv_aug import tv_tfms
from arm_L_seed_head import seed_head

def learner_with_wd_bn_bias(*args, **kwargs):
    "`xray_learner`, with weight decay on every parameter."
    learn = M.xray_learner(*args, **kwargs)
    learn.wd_bn_bias = True
    return learn

if __name__ == '__main__':
    A.xray_tfms, M.pool_head = tv_tfms, seed_head
    if '--wd-bn-bias' in sys.argv: T.xray_learner = learner_with_wd_bn_bias
    if '--torch-adam' in sys.argv: M.Adam = partial(Adam, sqr_mom=0.999, eps=1e-8)
    seed = int(sys.argv[sys.argv.index('--seed') + 1]) if '--seed' in sys.argv else 0
    T.train(sys.argv[1], sys.argv[2], pretrained=False, size=96, budget='30m', head='avg', lr=1e-4, final_lr=1e-4, seed=seed)
