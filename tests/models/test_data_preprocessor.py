"""indexnet_plugin.MattorPreprocessor: test batches of any size, with samples
of different sizes, give every sample exactly its batch-size-1 alpha and
metric inputs; training and batches of one are the host's (mmedit's or
mmagic's); bad arguments and
bad batches are refused with clear errors."""
import copy
import os.path as osp
import re
from typing import List

import pytest
import torch
from helpers.comp1k import tiny_comp1k
from helpers.models import INTERP, PAD, build, make_sample, model_cfg
from helpers.paths import REPO
from host_reference import DataSample as EditDataSample
from host_reference import host_config, registry
from mmengine.config import Config
from mmengine.runner import Runner

from indexnet_plugin.host import MattorPreprocessor as MMEditMattorPreprocessor
from indexnet_plugin.models import MattorPreprocessor
from indexnet_plugin.models.preprocessed import PREPROCESSED
from indexnet_plugin.registry import MODELS
from indexnet_plugin.testing import randomise_weights

MMEDIT_CONFIG = host_config('indexnet', 'indexnet_mobv2_1xb16-78k_comp1k.py')
METRICS = registry.METRICS
MMEDIT_MODELS = registry.MODELS
ARGS = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    proc_trimap='rescale_to_zero_one')
SIZES = [(48, 72), (73, 45), (56, 56)]
# mmedit's matting metrics; each reports under its own type name.
METRIC_NAMES = ('SAD', 'MattingMSE', 'GradientError', 'ConnectivityError')


def samples_of(sizes) -> List[dict]:
    """Fresh packed test samples (preprocessors modify samples in place),
    with ``ori_alpha`` as the Comp-1k test pipeline saves it."""
    samples = [make_sample(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    for sample in samples:
        data_sample = sample['data_samples']
        data_sample.set_data(dict(ori_alpha=data_sample.gt_alpha.clone()))
    return samples


def batch(samples: List[dict]) -> dict:
    """What the dataloader's pseudo_collate delivers."""
    return dict(
        inputs=[s['inputs'] for s in samples],
        data_samples=[s['data_samples'] for s in samples])


def evaluated(outputs: List[EditDataSample]) -> List[dict]:
    """What mmengine's Evaluator hands the metrics."""
    return [sample.to_dict() for sample in outputs]


def metrics_of(outputs: List[EditDataSample]) -> dict:
    results = {}
    for name in METRIC_NAMES:
        metric = METRICS.build(dict(type=name))
        metric.process([], evaluated(outputs))
        results.update(metric.compute_metrics(metric.results))
    return results


def assert_same(ours, ref, where: str) -> None:
    """Recursive equality of evaluator dicts; tensors exactly."""
    if isinstance(ref, dict):
        assert set(ours) == set(ref), f'{where}: keys {set(ours) ^ set(ref)}'
        for key in ref:
            assert_same(ours[key], ref[key], f'{where}.{key}')
    elif isinstance(ref, (list, tuple)):
        assert type(ours) is type(ref) and len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f'{where}[{i}]')
    elif isinstance(ref, torch.Tensor):
        assert ours.dtype == ref.dtype and torch.equal(ours, ref), where
    else:
        assert ours == ref, where


@pytest.fixture(scope='module')
def model():
    """Plugin IndexNet behind mmedit's preprocessor (the batch-size-1
    reference), random weights and BN statistics."""
    return randomise_weights(build(model_cfg(True)), seed=3).eval()


@pytest.fixture(scope='module')
def ours():
    return MODELS.build(dict(type='indexnet_plugin.MattorPreprocessor',
                             **ARGS))


def one_by_one(model, sizes):
    """mmedit's preprocessor, one sample per batch: uint8 outputs and float
    alphas."""
    outputs, alphas = [], []
    for sample in samples_of(sizes):
        data = model.data_preprocessor(batch([sample]), training=False)
        with torch.no_grad():
            alphas += model.predict_alpha(**data)
            outputs += model(**data, mode='predict')
    return outputs, alphas


@pytest.mark.parametrize('test_cfg', [INTERP, PAD], ids=['interp', 'pad'])
def test_batch_of_different_sizes_equals_one_by_one(model, ours, test_cfg,
                                                    monkeypatch):
    # The module's model is shared: its test_cfg is restored afterwards.
    monkeypatch.setattr(model, 'test_cfg', dict(test_cfg))
    expected, expected_alphas = one_by_one(model, SIZES)

    data = ours(batch(samples_of(SIZES)), training=False)
    assert data['inputs'].shape == (3, 4, 73, 72)
    with torch.no_grad():
        alphas = model.predict_alpha(**data)
        outputs = model(**data, mode='predict')

    for size, alpha, ref in zip(SIZES, alphas, expected_alphas):
        assert alpha.shape == size
        diff = (alpha - ref).abs().max().item()
        assert diff <= 1e-6, f'{size}: float alpha max diff {diff:.3g} > 1e-6'
    for i, (out, ref) in enumerate(zip(outputs, expected)):
        assert out.output.pred_alpha.dtype == torch.uint8
        assert torch.equal(out.output.pred_alpha, ref.output.pred_alpha), i
        # The metrics get the batch-size-1 fields; only padding_size, which
        # no metric reads, records the batch padding.
        got, want = evaluated([out])[0], evaluated([ref])[0]
        height, width = SIZES[i]
        assert torch.equal(got.pop('padding_size'),
                           torch.tensor([0., 73 - height, 72 - width]))
        assert torch.equal(want.pop('padding_size'), torch.zeros(3))
        assert_same(got, want, f'sample {i}')
    assert metrics_of(outputs) == metrics_of(expected)


def test_batch_of_one_is_mmedits(ours):
    reference = MMEditMattorPreprocessor(**ARGS)
    data = ours(batch(samples_of([(97, 61)])), training=False)
    want = reference(batch(samples_of([(97, 61)])), training=False)
    assert torch.equal(data['inputs'], want['inputs'])
    assert isinstance(data['data_samples'], EditDataSample)
    got = data['data_samples'].to_dict()
    # The one addition: the mark by which IndexNet knows the batch is
    # preprocessed.
    assert got.pop(PREPROCESSED) == [True]
    assert_same(got, want['data_samples'].to_dict(), 'stacked sample')


def test_training_batch_is_mmedits(ours):
    reference = MMEditMattorPreprocessor(**ARGS)
    data = ours(batch(samples_of([(64, 64)] * 2)), training=True)
    want = reference(batch(samples_of([(64, 64)] * 2)), training=True)
    assert torch.equal(data['inputs'], want['inputs'])
    for key in ('gt_alpha', 'gt_fg', 'gt_bg', 'gt_merged', 'trimap'):
        assert torch.equal(data['data_samples'].get(key),
                           want['data_samples'].get(key)), key


def test_registered_beside_mmedits(model):
    assert MODELS.get('indexnet_plugin.MattorPreprocessor') is (
        MattorPreprocessor)
    assert MMEDIT_MODELS.get('MattorPreprocessor') is MMEditMattorPreprocessor
    # Unprefixed inside our IndexNet (the host's default scope): the host's.
    assert type(model.data_preprocessor) is MMEditMattorPreprocessor


@pytest.mark.parametrize('config', [
    'indexnet_mobv2.py', 'indexnet_mobv2_dimaug.py', 'indexnet_demo.py'
])
def test_configs_use_it_with_mmedits_arguments(config):
    ours = Config.fromfile(osp.join(REPO, 'configs',
                                    config)).model.data_preprocessor
    mmedit = Config.fromfile(MMEDIT_CONFIG).model.data_preprocessor
    assert ours.pop('type') == 'indexnet_plugin.MattorPreprocessor'
    assert mmedit.pop('type') == 'MattorPreprocessor'
    assert ours == mmedit


@pytest.mark.parametrize('kwargs, message', [
    (dict(proc_trimap='rescale'),
     "proc_trimap must be one of ('rescale_to_zero_one', 'as_is'), "
     "got 'rescale'"),
    (dict(output_channel_order='rgb'),
     "output_channel_order must be one of ('RGB', 'BGR'), got 'rgb'"),
    (dict(stack_data_sample=False),
     'stack_data_sample must be True (mmedit reads the trimaps of a training '
     'batch from the stacked sample), got False'),
    (dict(mean=[1, 2]),
     'mean must be a number or 1 or 3 numbers (None for both mean and std '
     'disables normalisation), got [1, 2]'),
    (dict(std='abc'),
     'std must be a number or 1 or 3 numbers (None for both mean and std '
     "disables normalisation), got 'abc'"),
    (dict(std=None),
     'std must be a number or 1 or 3 numbers (None for both mean and std '
     'disables normalisation), got None'),
    (dict(std=[1, 0, 1]), 'std must be positive, got [1, 0, 1]'),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        MattorPreprocessor(**kwargs)


def test_valid_arguments_are_accepted():
    plain = MattorPreprocessor(mean=None, std=None, proc_trimap='as_is')
    assert not plain._enable_normalize
    scalar = MattorPreprocessor(mean=127.5, std=127.5,
                                output_channel_order='BGR')
    assert scalar.mean.flatten().tolist() == [127.5]


def test_trimap_of_another_size_is_refused_naming_the_file(ours):
    samples = samples_of([(64, 64), (64, 80)])
    sample = samples[1]['data_samples']
    sample.set_data(dict(trimap=sample.trimap[:, :, :60]))
    sample.set_metainfo(dict(trimap_path='/data/comp1k/trimaps/b.png'))
    message = ('test sample 1 (/data/comp1k/trimaps/b.png): image/trimap '
               'size mismatch, the image is 64x80 but the trimap has shape '
               '(1, 64, 60)')
    with pytest.raises(ValueError, match=re.escape(message)):
        ours(batch(samples), training=False)


def test_sample_without_trimap_is_refused(ours):
    samples = samples_of([(64, 64), (64, 80)])
    samples[0]['data_samples'] = EditDataSample(
        metainfo=dict(merged_path='/data/a.png'))
    message = ("test sample 0 (/data/a.png) has no trimap (expected an "
               "EditDataSample with a 'trimap' field)")
    with pytest.raises(ValueError, match=re.escape(message)):
        ours(batch(samples), training=False)


@pytest.mark.parametrize('data, message', [
    (dict(inputs=[torch.zeros(3, 8, 8)], data_samples=[]),
     'a test batch has 1 images but 0 data samples'),
    (dict(inputs=[], data_samples=[]),
     'a test batch needs inputs (a list of (3, H, W) images or an '
     '(N, 3, H, W) tensor) and a list of data samples, got inputs of type '
     'list and data_samples of type list'),
    (dict(inputs=[torch.zeros(3, 8, 8)], data_samples=None),
     'a test batch needs inputs (a list of (3, H, W) images or an '
     '(N, 3, H, W) tensor) and a list of data samples, got inputs of type '
     'list and data_samples of type NoneType'),
    (dict(inputs=[torch.zeros(8, 8)],
          data_samples=[EditDataSample(trimap=torch.zeros(1, 8, 8))]),
     'test sample 0: expected a (C, H, W) image tensor, got a tensor of '
     'shape (8, 8)'),
])
def test_malformed_test_batches_are_refused(ours, data, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ours(data, training=False)


@pytest.mark.slow
def test_runner_test_metrics_equal_for_batch_sizes_1_and_3(tmp_path):
    """The Runner's test loop on a synthetic Comp-1k (4 test images of
    96x96 to 128x160, two sizes: each foreground is composited on 2
    backgrounds) from a random-weight checkpoint: batches of 3 (one of 3,
    one of 1) give the four metrics of batches of 1.

    Not to the last bit: IndexNet.predict_alpha runs the two same-size
    samples of the first batch as one network batch, whose float alphas
    differ from one-by-one by up to ~3e-6, enough to round 1 pixel to the
    neighbouring uint8 level (measured: SAD 3.8378304 vs 3.8378314, i.e.
    one pixel; MSE 5.6e-9 and GRAD 1.6e-6 apart; CONN equal). The tolerance
    allows a few such pixels; padding leaking into an alpha would change
    hundreds. Samples of different sizes are bit-exact (unit test above).
    """
    root = tiny_comp1k(str(tmp_path / 'comp1k'), train_bg_per_fg=1,
                       num_test_fg=2)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'indexnet_mobv2.py'))
    cfg.model.backbone.encoder.init_cfg = None
    network = randomise_weights(MODELS.build(cfg.model), seed=5)
    checkpoint = tmp_path / 'random.pth'
    torch.save({'meta': {}, 'state_dict': network.state_dict()}, checkpoint)

    metrics = {}
    for batch_size in (1, 3):
        run = copy.deepcopy(cfg)
        run.experiment_name = f'batch_{batch_size}'
        run.work_dir = str(tmp_path / f'work_{batch_size}')
        run.load_from = str(checkpoint)
        run.test_dataloader.dataset.data_root = root
        run.test_dataloader.batch_size = batch_size
        run.test_dataloader.num_workers = 0
        runner = Runner.from_cfg(run)
        runner.test()  # EditTestLoop returns None; the hub has the metrics
        metrics[batch_size] = {
            name: runner.message_hub.get_scalar(f'test/{name}').current()
            for name in METRIC_NAMES
        }
    assert all(value > 0 for value in metrics[1].values()), metrics[1]
    for name in METRIC_NAMES:
        diff = abs(metrics[3][name] - metrics[1][name])
        assert diff <= 1e-5 * metrics[1][name], (
            f'{name}: batch 3 {metrics[3][name]!r} vs batch 1 '
            f'{metrics[1][name]!r}, diff {diff:.3g} > 1e-5 relative')
