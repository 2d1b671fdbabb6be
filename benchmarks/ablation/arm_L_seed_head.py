"""Arms L and M of the recipe ablation: the seed loop's head, torchvision's DenseNet classifier (ReLU after the body's
last batch norm, global average pooling, one linear layer), where pneumo's avg head has no ReLU, then batch norm and
dropout 0.5 before its linear layer. L: arm D's schedule (lr 1e-3 -> 1e-5); M (`--const`): arm J's (1e-4 throughout);
L1 (`--seed 1`): L with another seed. The same head is now `pneumo train --head torchvision`.
usage: OMP_NUM_THREADS=1 python arm_L_seed_head.py $PNEUMO_DATA OUT [--const] [--seed 1]"""
import sys, torch.nn as nn
import pneumo_nb.model as M

def seed_head(nf, pool='avg', p=0.5):
    "torchvision's DenseNet classifier on `nf` channels (takes `pool_head`'s arguments and ignores them)."
    return nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(nf, 1))

if __name__ == '__main__':
    M.pool_head = seed_head
    from pneumo_nb.train import train
    lr = dict(lr=1e-4, final_lr=1e-4) if '--const' in sys.argv else {}
    seed = int(sys.argv[sys.argv.index('--seed') + 1]) if '--seed' in sys.argv else 0
    train(sys.argv[1], sys.argv[2], pretrained=False, size=96, budget='30m', head='avg', seed=seed, **lr)
