# IndexNet (MobileNetV2, M2O DINs) with the IndexNet augmentation scheme on
# Adobe Composition-1k: the OpenMMLab row SAD 45.6 / MSE 0.012 / GRAD 25.5 /
# CONN 44.8.
#
# Evaluate the released model:
#   mim test mmedit configs/indexnet_mobv2.py --checkpoint \
#     https://download.openmmlab.com/mmediting/mattors/indexnet/indexnet_mobv2_1x16_78k_comp1k_SAD-45.6_20200618_173817-26dd258d.pth
# Fine-tune from it: --cfg-options load_from=<that URL or a local copy>.
# Offline: the encoder's ImageNet init below downloads once; point it at a
# local file with --cfg-options model.backbone.encoder.init_cfg.checkpoint=/path/mobilenet_v2.pth
# or train from scratch with model.backbone.encoder.init_cfg=None.
_base_ = ['./_base_/comp1k.py', './_base_/matting_runtime.py']

experiment_name = 'indexnet_mobv2_1xb16-78k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    type='indexnet_plugin.IndexNet',
    # mmedit's MattorPreprocessor, plus test batches of any size (samples
    # padded bottom/right; each gets its batch-size-1 alpha and metrics).
    data_preprocessor=dict(
        type='indexnet_plugin.MattorPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        proc_trimap='rescale_to_zero_one'),
    backbone=dict(
        type='SimpleEncoderDecoder',
        encoder=dict(
            type='indexnet_plugin.IndexNetEncoder',
            in_channels=4,
            freeze_bn=True,
            init_cfg=dict(
                type='Pretrained',
                checkpoint='open-mmlab://mmedit/mobilenet_v2')),
        decoder=dict(type='indexnet_plugin.IndexNetDecoder')),
    loss_alpha=dict(type='CharbonnierLoss', loss_weight=0.5, sample_wise=True),
    loss_comp=dict(
        type='CharbonnierCompLoss', loss_weight=1.5, sample_wise=True),
    test_cfg=dict(
        resize_method='interp', resize_mode='bicubic', size_divisor=32))

matting_keys = ['alpha', 'merged', 'fg', 'bg']
train_pipeline = [
    dict(type='LoadImageFromFile', key='alpha', color_type='grayscale'),
    dict(type='LoadImageFromFile', key='fg'),
    dict(type='LoadImageFromFile', key='bg'),
    dict(type='LoadImageFromFile', key='merged'),
    dict(type='indexnet_plugin.GenerateTrimapWithDistTransform', dist_thr=20),
    dict(
        type='indexnet_plugin.CropAroundUnknown',
        keys=matting_keys + ['trimap'],
        crop_sizes=[320, 480, 640],
        interpolations=['bicubic'] * 4 + ['nearest']),
    dict(
        type='Resize',
        keys=['trimap'],
        scale=(320, 320),
        keep_ratio=False,
        interpolation='nearest'),
    dict(
        type='Resize',
        keys=matting_keys,
        scale=(320, 320),
        keep_ratio=False,
        interpolation='bicubic'),
    dict(type='Flip', keys=matting_keys + ['trimap']),
    dict(type='indexnet_plugin.PackInputs'),
]

test_pipeline = [
    dict(
        type='LoadImageFromFile',
        key='alpha',
        color_type='grayscale',
        save_original_img=True),
    dict(
        type='LoadImageFromFile',
        key='trimap',
        color_type='grayscale',
        save_original_img=True),
    dict(type='LoadImageFromFile', key='merged'),
    dict(type='indexnet_plugin.PackInputs'),
]

train_dataloader = dict(
    batch_size=16, num_workers=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(type='IterBasedTrainLoop', max_iters=78000, val_interval=2600)
# indexnet_plugin.PackInputs / MultiValLoop / MultiTestLoop are the host's own
# classes (MMEditing: PackEditInputs / EditValLoop / EditTestLoop).
val_cfg = dict(type='indexnet_plugin.MultiValLoop')
test_cfg = dict(type='indexnet_plugin.MultiTestLoop')

# The ImageNet-pretrained MobileNetV2 layers learn 100x slower than the
# index blocks and decoder, which start from scratch.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-2),
    paramwise_cfg=dict(custom_keys={'encoder.layers': dict(lr_mult=0.01)}))
param_scheduler = dict(
    type='MultiStepLR', milestones=[52000, 67600], gamma=0.1, by_epoch=False)

default_hooks = dict(checkpoint=dict(interval=2600))
