# A five-minute IndexNet run on 2 CPU cores, on the synthetic Comp-1k that
# `make demo` (tools/demo.py) generates into data/synthetic_comp1k. Same
# network, losses and IndexNet augmentation as indexnet_mobv2.py; smaller crops
# and batches, and no ImageNet initialisation (offline), hence trainable BN
# and one learning rate for the whole network.
_base_ = ['./indexnet_mobv2.py']

experiment_name = 'indexnet_demo'
work_dir = f'./work_dirs/{experiment_name}'
data_root = 'data/synthetic_comp1k'

model = dict(
    backbone=dict(encoder=dict(freeze_bn=False, init_cfg=None)))

matting_keys = ['alpha', 'merged', 'fg', 'bg']
crop_size = 128
train_pipeline = [
    dict(type='LoadImageFromFile', key='alpha', color_type='grayscale'),
    dict(type='LoadImageFromFile', key='fg'),
    dict(type='LoadImageFromFile', key='bg'),
    dict(type='LoadImageFromFile', key='merged'),
    dict(type='indexnet_plugin.GenerateTrimapWithDistTransform', dist_thr=10),
    dict(
        type='indexnet_plugin.CropAroundUnknown',
        keys=matting_keys + ['trimap'],
        # One scale: the test images are predicted at full resolution, and
        # a strand halved by a 2x crop is no longer the strand to learn.
        crop_sizes=[crop_size],
        interpolations=['bicubic'] * 4 + ['nearest']),
    dict(type='Flip', keys=matting_keys + ['trimap']),
    dict(type='indexnet_plugin.PackInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# From scratch, a short warm-up lets Adam take a learning rate twice the
# earlier constant 1e-3; the cosine decay settles the fine detail.
lr = 2e-3
warmup_iters = 10
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='Adam', lr=lr))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - warmup_iters,
        eta_min=lr / 100,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=100, max_keep_ckpts=2))
custom_hooks = []
