"""Arm N of the recipe ablation: every part of the seed loop that differs, inside `pneumo train`: its head (arm L), its
learning rate of 1e-4 throughout (arm J) and its torchvision-style augmentation (arm K). What is left is fastai's
training loop itself and pneumo's data path.
usage: OMP_NUM_THREADS=1 python arm_N_seed_parts.py $PNEUMO_DATA OUT"""
import sys
import pneumo_nb.augment as A, pneumo_nb.model as M
from arm_K_tv_aug import tv_tfms
from arm_L_seed_head import seed_head

if __name__ == '__main__':
    A.xray_tfms, M.pool_head = tv_tfms, seed_head
    from pneumo_nb.train import train
    train(sys.argv[1], sys.argv[2], pretrained=False, size=96, budget='30m', head='avg', lr=1e-4, final_lr=1e-4)
