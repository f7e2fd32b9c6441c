"""mmedit's upstream IndexNet mattor scenarios (mmedit 1.0.0rc7,
tests/test_models/test_editors/test_indexnet/test_indexnet.py) against our
``indexnet_plugin.IndexNet``: trimaps of random values straight into
``forward`` (no preprocessor), a batch of one in ``predict`` mode, a batch of
two in ``loss`` mode, a constant input in ``tensor`` mode. Each runs on both
models with the same weights and must give mmedit's result. The ``predict``
batch stands for preprocessed data, so it is marked as such (our IndexNet
preprocesses an unmarked one, as mmedit 1.0.0rc7's inference API hands it
over raw)."""
import numpy as np
import pytest
import torch
from host_reference import DataSample as EditDataSample
from host_reference import PackInputs as PackEditInputs
from helpers.models import build, model_cfg

from indexnet_plugin.models import mark_preprocessed
from indexnet_plugin.testing import randomise_weights


# Upstream's training scenario: the composition loss alone.
LOSSES = dict(loss_alpha=None, loss_comp=dict(type='L1CompositionLoss'))


@pytest.fixture(scope='module')
def pair():
    """mmedit's IndexNet and ours, same non-trivial weights."""
    theirs = randomise_weights(build(dict(model_cfg(False), **LOSSES)), seed=3)
    ours = build(dict(model_cfg(True), **LOSSES))
    ours.load_state_dict(theirs.state_dict())
    return theirs, ours


def random_test_batch(size, seed):
    """A (1, 4, H, W) input whose trimap channel holds raw values 0..254 and
    a stacked sample whose float ori_trimap holds 0..255, as upstream; a
    batch marked as preprocessed."""
    rng = np.random.default_rng(seed)
    image = torch.from_numpy(rng.random((1, 3) + size, dtype=np.float32))
    trimap = torch.from_numpy(
        rng.integers(0, 255, (1, 1) + size).astype(np.float32))
    packed = PackEditInputs().transform(
        dict(
            ori_alpha=rng.random(size + (1, ), dtype=np.float32),
            ori_trimap=rng.integers(0, 256, size + (1, )).astype(np.float32),
            ori_merged_shape=size))
    return mark_preprocessed(
        dict(
            inputs=torch.cat((image, trimap), dim=1),
            data_samples=EditDataSample.stack([packed['data_samples']])))


def test_predict_with_random_trimap_values_equals_mmedit(pair):
    batch = random_test_batch((48, 48), seed=0)
    inputs, samples = batch['inputs'], batch['data_samples']
    ori_trimap = samples.ori_trimap[0, 0]
    assert 200 < len(ori_trimap.unique()) and 200 < len(inputs[0, 3].unique())
    alphas = {}
    with torch.no_grad():
        for name, model in zip(('theirs', 'ours'), pair):
            predictions = model.eval()(
                inputs.clone(), samples.clone(), mode='predict')
            assert isinstance(predictions, list) and len(predictions) == 1
            assert isinstance(predictions[0], EditDataSample)
            alphas[name] = predictions[0].output.pred_alpha.data
    ours = alphas['ours']
    assert ours.dtype == torch.uint8 and ours.shape == (48, 48)
    diff = (ours.int() - alphas['theirs'].int()).abs().max().item()
    assert diff <= 1, f'uint8 alpha vs mmedit: max diff {diff} > 1'
    # Exactly the 0 and 255 pixels are written back, the rest is predicted.
    assert bool((ours[ori_trimap == 255] == 255).all())
    assert bool((ours[ori_trimap == 0] == 0).all())
    predicted = ours[(ori_trimap != 0) & (ori_trimap != 255)]
    assert 1 < len(predicted.unique())


def test_loss_with_random_trimap_values_equals_mmedit(pair):
    rng = np.random.default_rng(1)
    trimap = rng.integers(0, 255, (2, 1, 64, 64)).astype(np.float32)
    trimap[0, 0, :8] = 128 / 255  # some pixels count as unknown
    inputs = torch.cat((torch.from_numpy(
        rng.random((2, 3, 64, 64), dtype=np.float32)),
                        torch.from_numpy(trimap)), dim=1)
    packed = [
        PackEditInputs().transform({
            key: rng.random((64, 64, channels), dtype=np.float32)
            for key, channels in (('alpha', 1), ('merged', 3), ('fg', 3),
                                  ('bg', 3))
        })['data_samples'] for _ in range(2)
    ]
    samples = EditDataSample.stack(packed)
    losses = {}
    for name, model in zip(('theirs', 'ours'), pair):
        torch.manual_seed(0)  # the same ASPP dropout mask for both
        losses[name] = model.train()(inputs, samples, mode='loss')
    assert set(losses['ours']) == {'loss_comp'}
    ours_loss, theirs_loss = losses['ours']['loss_comp'], losses['theirs'][
        'loss_comp']
    assert ours_loss.item() > 0
    diff = (ours_loss - theirs_loss).abs().item()
    assert diff <= 1e-6, f'loss_comp vs mmedit: |diff| = {diff:.3g} > 1e-6'


def test_tensor_mode_is_the_default_and_equals_mmedit(pair):
    inputs = torch.ones(1, 4, 32, 32)
    with torch.no_grad():
        theirs = pair[0].eval().forward(inputs)
        ours = pair[1].eval().forward(inputs)
    assert ours.shape == (1, 1, 32, 32)
    diff = (ours - theirs).abs().max().item()
    assert diff <= 1e-6, f'tensor mode vs mmedit: max diff {diff:.3g} > 1e-6'
