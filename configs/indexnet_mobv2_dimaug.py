# IndexNet (MobileNetV2, M2O DINs) trained with the Deep Image Matting
# augmentation scheme; tested with reflect padding to a multiple of 32: the
# OpenMMLab row SAD 50.1 / MSE 0.016 / GRAD 30.8 / CONN 49.5.
# Released weights:
# https://download.openmmlab.com/mmediting/mattors/indexnet/indexnet_dimaug_mobv2_1x16_78k_comp1k_SAD-50.1_20200626_231857-af359436.pth
_base_ = ['./indexnet_mobv2.py']

experiment_name = 'indexnet_mobv2-dimaug_1xb16-78k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    test_cfg=dict(resize_method='pad', resize_mode='reflect', size_divisor=32))

matting_keys = ['alpha', 'merged', 'fg', 'bg']
train_pipeline = [
    dict(type='LoadImageFromFile', key='alpha', color_type='grayscale'),
    dict(type='LoadImageFromFile', key='fg'),
    dict(type='LoadImageFromFile', key='bg'),
    dict(type='LoadImageFromFile', key='merged'),
    dict(
        type='indexnet_plugin.CropAroundUnknown',
        keys=matting_keys,
        crop_sizes=[320, 480, 640]),
    dict(type='Flip', keys=matting_keys),
    dict(type='Resize', keys=matting_keys, scale=(320, 320), keep_ratio=False),
    dict(type='indexnet_plugin.GenerateTrimap', kernel_size=(1, 30)),
    dict(type='indexnet_plugin.PackInputs'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
