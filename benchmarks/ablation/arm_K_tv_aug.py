"""Arm K of the recipe ablation: arm D (`--head avg`, lr 1e-3 -> 1e-5) with the seed loop's torchvision-style
augmentation instead of fastai's: every transform on every film (fastai applies rotation and lighting with p=0.75),
crops of any aspect from 3/4 to 4/3 (fastai's `aug_transforms` crops squares only), brightness and contrast as linear
factors 0.8-1.2 like `ColorJitter(0.2, 0.2)` (fastai changes them in logit space).
usage: OMP_NUM_THREADS=1 python arm_K_tv_aug.py $PNEUMO_DATA OUT"""
import sys, torch
from fastai.vision.all import aug_transforms, RandomResizedCropGPU, Normalize, imagenet_stats, PadMode, RandTransform, TensorImage
import pneumo_nb.augment as A

class LinearJitter(RandTransform):
    "torchvision's ColorJitter(0.2, 0.2) on a batch in 0..1: brightness x*b, then contrast (x-m)*c+m, clamped."
    order, split_idx = 40, 0
    def encodes(self, x:TensorImage):
        b, c = torch.empty(2, x.shape[0], 1, 1, 1, device=x.device).uniform_(0.8, 1.2)
        x = (x*b).clamp(0, 1)
        m = x.mean(dim=(1, 2, 3), keepdim=True)
        return ((x - m)*c + m).clamp(0, 1)

def tv_tfms(size=224, aug=True, **kwargs):
    "The seed loop's augmentation as batch transforms, then pneumo's grey-to-RGB copy and normalisation."
    augs = [*aug_transforms(size=size, max_rotate=10., min_zoom=1., max_zoom=1., max_warp=0., max_lighting=0., p_affine=1.,
                            pad_mode=PadMode.Zeros),
            RandomResizedCropGPU(size, min_scale=0.8, ratio=(3/4, 4/3)), LinearJitter()] if aug else []
    return [*augs, A.GreyToRGB(), Normalize.from_stats(*imagenet_stats)]

if __name__ == '__main__':
    A.xray_tfms = tv_tfms
    from pneumo_nb.train import train
    train(sys.argv[1], sys.argv[2], pretrained=False, size=96, budget='30m', head='avg')
