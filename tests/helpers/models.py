"""Configs, the reference model from the host (mmedit 1.0.0rc7 or mmagic
1.2.0), released-format checkpoints, samples in the pipeline's format."""
import contextlib
import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import numpy as np
import torch
from host_reference import HOST, PackInputs
from host_reference import DataSample as EditDataSample
from host_reference import registry
from mmengine.registry import DefaultScope, init_default_scope
from torch import nn

import indexnet_plugin  # noqa: F401  (registers our models)
from indexnet_plugin.testing import randomise_weights

MODELS = registry.MODELS
init_default_scope(HOST)

INTERP = dict(resize_method='interp', resize_mode='bicubic', size_divisor=32)
PAD = dict(resize_method='pad', resize_mode='reflect', size_divisor=32)


def model_cfg(plugin: bool,
              test_cfg: Optional[dict] = None,
              **encoder_kwargs) -> dict:
    """The team's IndexNet config; the host's built-ins when not
    ``plugin``."""
    prefix = 'indexnet_plugin.' if plugin else ''
    encoder = dict(
        type=prefix + 'IndexNetEncoder', in_channels=4, freeze_bn=True)
    encoder.update(encoder_kwargs)
    return dict(
        type=prefix + 'IndexNet',
        data_preprocessor=dict(
            type='MattorPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            proc_trimap='rescale_to_zero_one'),
        backbone=dict(
            type='SimpleEncoderDecoder',
            encoder=encoder,
            decoder=dict(type=prefix + 'IndexNetDecoder')),
        loss_alpha=dict(
            type='CharbonnierLoss', loss_weight=0.5, sample_wise=True),
        loss_comp=dict(
            type='CharbonnierCompLoss', loss_weight=1.5, sample_wise=True),
        test_cfg=INTERP if test_cfg is None else test_cfg)


def build(cfg: dict) -> nn.Module:
    """Build ``cfg`` in the host's scope, whatever scope an earlier runner
    left current: unprefixed names are the host's own components, never
    the plugin's namesakes."""
    with DefaultScope.overwrite_default_scope(HOST):
        return MODELS.build(cfg)


def host_indexnet(seed: int = 0, test_cfg: Optional[dict] = None) -> nn.Module:
    """The reference of the parity tests: the host's own IndexNet (asserted
    to be the host's, not ours) with :func:`randomise_weights`, eval mode."""
    model = build(model_cfg(False, test_cfg=test_cfg))
    assert type(model).__module__.startswith(f'{HOST}.'), type(model)
    return randomise_weights(model, seed).eval()


def save_released(model: nn.Module, path: Path) -> Path:
    """Save ``model`` as the released mmedit checkpoints are laid out."""
    torch.save(
        {
            'meta': {
                'mmedit_version': '0.14.0',
                'iter': 78000,
                'config': 'model = dict(type="IndexNet")',
            },
            'state_dict': model.state_dict(),
        }, path)
    return path


def make_sample(height: int, width: int, seed: int) -> dict:
    """One test/train sample as the host's packing makes it: a random image,
    a three-level trimap with large known regions, alpha, fg and bg."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    # A blob of foreground, a ring of unknown, background elsewhere.
    dist = np.hypot((yy - height / 2) / height, (xx - width / 2) / width)
    trimap = np.where(dist < .2, 255, np.where(dist < .35, 128,
                                               0)).astype(np.uint8)
    alpha = np.clip(255 * (.35 - dist) / .15, 0, 255).astype(np.uint8)
    fg = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    bg = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    a = alpha[..., None] / 255.
    merged = (a * fg + (1 - a) * bg).round().astype(np.uint8)
    results = dict(
        merged=merged,
        trimap=trimap,
        ori_trimap=trimap.copy(),
        alpha=alpha,
        fg=fg,
        bg=bg,
        ori_merged_shape=merged.shape)
    return PackInputs().transform(results)


def host_test_step_alpha(model: nn.Module, image: np.ndarray,
                         trimap: np.ndarray) -> np.ndarray:
    """One uint8 alpha from a mattor's ``test_step``, as ``mim test``
    computes it, for a BGR uint8 image (H, W, 3) and a 0/128/255 trimap
    (H, W)."""
    sample = EditDataSample(ori_merged_shape=image.shape)
    sample.trimap = torch.from_numpy(trimap)[None].float()
    sample.ori_trimap = torch.from_numpy(trimap)[None]
    data = dict(
        inputs=[torch.from_numpy(image).permute(2, 0, 1)],
        data_samples=[sample])
    with torch.no_grad():
        return model.test_step(data)[0].output.pred_alpha.data.numpy()


def preprocess_test(model: nn.Module,
                    samples: List[dict]) -> Tuple[torch.Tensor, list]:
    """Run MattorPreprocessor (test mode) sample by sample, since it refuses
    test batches of more than one; return per-sample inputs and samples."""
    inputs, data_samples = [], []
    for sample in samples:
        data = model.data_preprocessor(
            dict(inputs=[sample['inputs']],
                 data_samples=[sample['data_samples']]),
            training=False)
        inputs.append(data['inputs'])
        data_samples.append(data['data_samples'].split()[0])
    return inputs, data_samples


def host_float_alpha(model: nn.Module,
                     inputs: torch.Tensor,
                     data_sample: EditDataSample,
                     raw: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The host's test path for one sample up to (not including) the uint8
    quantisation of ``BaseMattor.postprocess``; ``raw`` reuses a network
    output already computed on ``model.resize_inputs(inputs)``."""
    if raw is None:
        raw = model._forward_test(model.resize_inputs(inputs))
    alpha = model.restore_size(raw[0], data_sample)[0].clamp(0, 1)
    trimap = data_sample.ori_trimap[0]
    alpha[trimap == 255] = 1
    alpha[trimap == 0] = 0
    return alpha


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over loopback HTTP; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
