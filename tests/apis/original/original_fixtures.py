"""Fixtures computed once with the authors' code (poppinace/indexnet_matting),
and the recipe that regenerates their seeded checkpoint without it.

What ``fixtures/`` holds and how it was made (the generator script is not in
this repository because it imports the authors' code; this describes it):

* ``original_keys.json``: the 549 ``(key, shape)`` entries, in order, of
  ``hlmobilenetv2(pretrained=False, freeze_bn=True, output_stride=32,
  apply_aspp=True, conv_operator='std_conv', decoder='indexnet',
  decoder_kernel_size=5, indexnet='depthwise', index_mode='m2o',
  use_nonlinear=True, use_context=True).state_dict()`` -- the network of the
  authors' ``scripts/demo.py``.
* ``<case>_image.png`` / ``<case>_trimap.png``: RGB image and trimap, sizes
  not multiples of 32 (``small`` 70x90 HxW; ``medium`` 100x130, whose trimap
  also has 20 pixels of value 64, neither known nor unknown), drawn once with
  numpy (bicubic-upsampled random colours, a tinted ellipse; the trimap's
  unknown band around it).
* ``expected.npz``: per case, ``<case>_raw``, the network output (H', W')
  float32, and ``<case>_input_sha256``, the SHA-256 of the float32
  (1, 4, H', W') network input bytes, both captured with a forward hook on
  the authors' network during their ``inference()``.
* ``<case>_alpha.png``: the uint8 alpha matte ``inference()`` saved.

The generator (run once, outside the repository) built the network above
for the key list; wrote :func:`seeded_original_state_dict` with
:func:`save_original_checkpoint`; imported a copy of the authors'
``scripts/demo.py`` changed only where torch 2.14 / numpy 1.26 need it
(``np.float`` -> ``float``, ``torch.load(..., weights_only=False)``) and to
take ``RESTORE_FROM`` / ``RESULT_DIR`` from the environment, so that its
module-level code loaded that checkpoint; registered the hook on its ``net``
and called its ``inference(image_path, trimap_path)`` on each case.
"""
import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pytest
import torch
from helpers.paths import REPO

from indexnet_plugin.apis import convert_original_checkpoint

FIXTURES = Path(__file__).parent / 'fixtures'
CONFIG = str(REPO / 'configs' / 'indexnet_mobv2_original.py')
CASES = ('small', 'medium')
SEED = 2019


def original_keys() -> List[Tuple[str, Tuple[int, ...]]]:
    """The authors' state-dict keys and shapes, in module order."""
    entries = json.loads((FIXTURES / 'original_keys.json').read_text())
    return [(key, tuple(shape)) for key, shape in entries]


def seeded_original_state_dict(
        seed: int = SEED) -> 'OrderedDict[str, torch.Tensor]':
    """The seeded weights of the fixtures, under the authors' key names.

    One numpy generator draws every tensor in key order from uniform
    distributions (stable across numpy versions): convolutions with variance
    1/fan_in, batch norms with statistics and affine terms far from the
    identity (so folding and key mix-ups show), ``num_batches_tracked`` 0.
    The last convolution is positive so the alpha spreads over (0, 1)
    instead of being clipped to 0 on half the pixels.
    """
    rng = np.random.default_rng(seed)

    def uniform(low, high, shape):
        return torch.from_numpy(
            (low + (high - low) * rng.random(shape)).astype(np.float32))

    state = OrderedDict()
    for key, shape in original_keys():
        name = key.rsplit('.', 1)[1]
        if name == 'num_batches_tracked':
            state[key] = torch.tensor(0, dtype=torch.long)
        elif name == 'running_mean':
            state[key] = uniform(-0.3, 0.3, shape)
        elif name == 'running_var':
            state[key] = uniform(0.5, 2.0, shape)
        elif name == 'bias':
            state[key] = uniform(-0.2, 0.2, shape)
        elif len(shape) == 1:  # batch-norm scale
            state[key] = uniform(0.5, 1.5, shape)
        elif key == 'pred.1.weight':
            state[key] = uniform(0.0, 1.0, shape)
        else:
            bound = np.sqrt(3.0 / np.prod(shape[1:]))
            state[key] = uniform(-bound, bound, shape)
    return state


def save_original_checkpoint(path: Path, state: Dict[str,
                                                     torch.Tensor]) -> Path:
    """Write ``state`` the way the authors' ``hltrainval.py`` saves a model.

    ``{'state_dict', 'optimizer', 'epoch', 'train_loss', 'val_loss',
    'measure'}`` from an ``nn.DataParallel`` (keys prefixed ``module.``), an
    Adam state dict with two parameter groups, and the loss and metric
    histories as lists of numpy float64 scalars -- which is why
    ``torch.load(weights_only=True)`` refuses the file without an
    allow-list.
    """
    num_params = sum(k.rsplit('.', 1)[1] in ('weight', 'bias') for k in state)
    sad = [np.float64(52.7), np.float64(45.8)]
    torch.save(
        {
            'state_dict': OrderedDict(
                ('module.' + k, v) for k, v in state.items()),
            'optimizer': {
                'state': {},
                'param_groups':
                [{
                    'lr': 0.01,
                    'betas': (0.9, 0.999),
                    'eps': 1e-08,
                    'weight_decay': 0,
                    'amsgrad': False,
                    'params': list(range(num_params // 2))
                }, {
                    'lr': 0.0001,
                    'betas': (0.9, 0.999),
                    'eps': 1e-08,
                    'weight_decay': 0,
                    'amsgrad': False,
                    'params': list(range(num_params // 2, num_params))
                }]
            },
            'epoch': 30,
            'train_loss': {
                'running_loss': [0.25, 0.125],
                'epoch_loss': [0.125]
            },
            'val_loss': {
                'running_loss': [],
                'epoch_loss': sad
            },
            'measure': {
                'sad': sad,
                'mse': [np.float64(0.016),
                        np.float64(0.013)],
                'grad': [np.float64(31.1), np.float64(25.9)],
                'conn': [np.float64(51.0), np.float64(43.7)]
            },
        }, path)
    return path


def load_case(case: str) -> dict:
    """One fixture case: the inputs as our loaders read them and the
    authors' results.

    Returns:
        dict: ``image`` (BGR uint8, as ``cv2.imread``), ``trimap`` (uint8),
        ``raw`` (their network output), ``input_sha256`` (of their network
        input) and ``alpha`` (the uint8 matte their ``inference()`` saved).
    """
    expected = np.load(FIXTURES / 'expected.npz')
    return dict(image=cv2.imread(str(FIXTURES / f'{case}_image.png'),
                                 cv2.IMREAD_COLOR),
                trimap=cv2.imread(str(FIXTURES / f'{case}_trimap.png'),
                                  cv2.IMREAD_GRAYSCALE),
                raw=expected[f'{case}_raw'],
                input_sha256=str(expected[f'{case}_input_sha256']),
                alpha=cv2.imread(str(FIXTURES / f'{case}_alpha.png'),
                                 cv2.IMREAD_GRAYSCALE))


def input_sha256(inputs: torch.Tensor) -> str:
    """SHA-256 of a (1, 4, H, W) float32 network input, as in the fixtures."""
    return hashlib.sha256(inputs.cpu().numpy().tobytes()).hexdigest()


def compare(alpha: np.ndarray, expected: np.ndarray) -> dict:
    """Largest level difference, pixels differing, mean signed difference."""
    difference = alpha.astype(int) - expected
    return dict(max=int(np.abs(difference).max()),
                differing=int((difference != 0).sum()),
                shift=float(difference.mean()))


def assert_authors_alpha(alpha: np.ndarray, expected: np.ndarray) -> None:
    """Within one level on every pixel (float noise at truncation
    boundaries), on at most 1% of the pixels, without systematic shift."""
    assert alpha.dtype == np.uint8 and alpha.shape == expected.shape
    found = compare(alpha, expected)
    assert found['max'] <= 1 and found['differing'] <= expected.size // 100 \
        and abs(found['shift']) <= 0.01, found


# pytest fixtures, imported by the test modules (module scope: each module
# that imports them gets its own). The tests run under tests/apis/conftest.py:
# one thread, the session's ONNX cache.
@pytest.fixture(scope='module')
def original_state():
    """The seeded weights under the authors' key names."""
    return seeded_original_state_dict()


@pytest.fixture(scope='module')
def original_file(original_state, tmp_path_factory):
    """The seeded weights in the authors' file format."""
    return save_original_checkpoint(
        tmp_path_factory.mktemp('original') / 'indexnet_matting.pth.tar',
        original_state)


@pytest.fixture(scope='module')
def converted_file(original_file, tmp_path_factory):
    """``original_file`` converted by the plugin."""
    path = tmp_path_factory.mktemp('converted') / 'indexnet_mobv2_original.pth'
    convert_original_checkpoint(original_file, path)
    return path
