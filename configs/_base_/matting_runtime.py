# Runtime shared by the IndexNet configs. The plugin registers its components
# in the `indexnet_plugin` scope, whose registries are children of the host's
# (MMagic's or MMEditing's): with it as the default scope, unprefixed names
# resolve to the host's components, and the configs run unchanged under
# `mim train mmagic` and `mim train mmedit` (indexnet_plugin/registry.py).
custom_imports = dict(imports=['indexnet_plugin'], allow_failed_imports=False)
default_scope = 'indexnet_plugin'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Checkpoints go to work_dir (where --resume looks) and are written
    # atomically (indexnet_plugin/engine/atomic_backend.py): a run killed
    # while saving never leaves a truncated checkpoint.
    checkpoint=dict(
        type='CheckpointHook',
        interval=10000,
        by_epoch=False,
        backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=4),
    # GPU clusters use nccl; on CPU pass --cfg-options env_cfg.dist_cfg.backend=gloo
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='ConcatImageVisualizer',
    vis_backends=vis_backends,
    fn_key='trimap_path',
    img_keys=['pred_alpha', 'trimap', 'gt_merged', 'gt_alpha'],
    bgr2rgb=True)
custom_hooks = [dict(type='BasicVisualizationHook', interval=2000)]

# One seed makes a run repeatable on one machine: the initial weights, the
# sampler's order and the augmentation of every dataloader worker (mmengine
# seeds worker i with seed + i); CPU kernels split their sums by thread count,
# so other cores may give other figures. deterministic stays False: on CPU
# IndexNet's kernels are the same either way (bitwise-equal gradients), and on
# CUDA torch would raise in the backward of ASPP's image pooling
# (AdaptiveAvgPool2d, bilinear upsampling), which has no deterministic kernel.
randomness = dict(seed=0)

log_level = 'INFO'
log_processor = dict(type='LogProcessor', by_epoch=False)

load_from = None
resume = False
