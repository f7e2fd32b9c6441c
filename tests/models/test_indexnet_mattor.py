"""The IndexNet mattor against the host's (mmedit 1.0.0rc7 or mmagic 1.2.0):
test-time alphas in both resize modes, training losses and gradients,
batching, bad input."""
import re

import pytest
import torch
from helpers.models import (INTERP, PAD, build, host_float_alpha,
                            host_indexnet, make_sample, model_cfg,
                            preprocess_test)
from host_reference import DataSample as EditDataSample


def ours_like(reference, test_cfg=INTERP):
    model = build(model_cfg(True, test_cfg=test_cfg))
    model.load_state_dict(reference.state_dict())
    return model.eval()


@pytest.mark.slow
@pytest.mark.parametrize('test_cfg', [INTERP, PAD], ids=['interp', 'pad'])
def test_full_size_alpha_matches_mmedit(host_model, test_cfg, monkeypatch):
    """517x389 image (not a multiple of 32): raw output and float alpha
    within 1e-5, uint8 alpha within 1."""
    monkeypatch.setattr(host_model, 'test_cfg', dict(test_cfg))
    ours = ours_like(host_model, test_cfg)
    inputs, samples = preprocess_test(ours, [make_sample(389, 517, seed=0)])
    with torch.no_grad():
        resized = host_model.resize_inputs(inputs[0])
        ref_raw = host_model(resized)
        raw_diff = (ours(resized) - ref_raw).abs().max().item()
        ref_float = host_float_alpha(host_model, inputs[0], samples[0],
                                       ref_raw)
        our_float = ours.predict_alpha(inputs[0], samples)[0]
        our_u8 = ours(
            inputs[0], EditDataSample.stack(samples),
            mode='predict')[0].output.pred_alpha
    # BaseMattor.postprocess's quantisation of mmedit's float alpha.
    ref_u8 = (ref_float * 255).round().to(torch.uint8)
    assert raw_diff <= 1e-5, f'raw output max diff {raw_diff:.3g} > 1e-5'
    assert our_float.shape == ref_float.shape == (389, 517)
    float_diff = (our_float - ref_float).abs().max().item()
    assert float_diff <= 1e-5, f'float alpha max diff {float_diff:.3g} > 1e-5'
    assert 0.05 < ref_float.std() and 0 < ref_float.mean() < 1
    assert our_u8.dtype == ref_u8.dtype == torch.uint8
    u8_diff = (our_u8.int() - ref_u8.int()).abs().max().item()
    assert u8_diff <= 1, f'uint8 alpha max diff {u8_diff} > 1'


def train_batch(model, seed):
    samples = [make_sample(64, 64, seed=seed + i) for i in range(2)]
    data = model.data_preprocessor(
        dict(
            inputs=[s['inputs'] for s in samples],
            data_samples=[s['data_samples'] for s in samples]),
        training=True)
    return data['inputs'], data['data_samples']


def test_training_losses_and_gradients_match_mmedit(host_model):
    theirs = host_indexnet(seed=8).train()
    ours = build(model_cfg(True)).train()
    ours.load_state_dict(theirs.state_dict())
    inputs, data_samples = train_batch(ours, seed=10)
    losses = {}
    for name, model in (('theirs', theirs), ('ours', ours)):
        torch.manual_seed(0)  # the same ASPP dropout mask for both
        loss = model(inputs, data_samples, mode='loss')
        sum(loss.values()).backward()
        losses[name] = loss
    assert set(losses['ours']) == {'loss_alpha', 'loss_comp'}
    for key in losses['ours']:
        diff = (losses['ours'][key] - losses['theirs'][key]).abs().item()
        assert diff <= 1e-6, f'{key}: |ours - mmedit| = {diff:.3g} > 1e-6'
    worst = max(
        ((p.grad - q.grad).abs().max() / q.grad.abs().max().clamp(min=1e-12)
         ).item() for p, q in zip(ours.parameters(), theirs.parameters()))
    assert worst <= 1e-5, f'max relative gradient diff {worst:.3g} > 1e-5'


def test_batch_of_equal_sizes_equals_one_by_one(host_model):
    ours = ours_like(host_model)
    inputs, samples = preprocess_test(
        ours, [make_sample(70, 90, seed=i) for i in range(3)])
    with torch.no_grad():
        batched = ours(
            torch.cat(inputs), EditDataSample.stack(samples), mode='predict')
        singles = [
            host_model(x, EditDataSample.stack([s]),
                      mode='predict')[0].output.pred_alpha
            for x, s in zip(inputs, samples)
        ]
    assert len(batched) == 3
    for out, single in zip(batched, singles):
        assert out.output.pred_alpha.shape == (70, 90)
        diff = (out.output.pred_alpha.int() - single.int()).abs().max().item()
        assert diff <= 1, f'batched vs mmedit one by one: {diff} > 1'


@pytest.mark.parametrize('test_cfg', [INTERP, PAD], ids=['interp', 'pad'])
def test_padded_batch_of_different_sizes_equals_one_by_one(
        host_model, test_cfg, monkeypatch):
    monkeypatch.setattr(host_model, 'test_cfg', dict(test_cfg))
    ours = ours_like(host_model, test_cfg)
    sizes = [(70, 90), (64, 100), (96, 64)]
    inputs, samples = preprocess_test(
        ours, [make_sample(h, w, seed=i) for i, (h, w) in enumerate(sizes)])
    batch = torch.zeros(3, 4, 96, 100)
    for i, x in enumerate(inputs):
        batch[i, :, :x.shape[2], :x.shape[3]] = x[0]
    with torch.no_grad():
        alphas = ours.predict_alpha(batch, samples)
        expected = [
            host_float_alpha(host_model, x, s)
            for x, s in zip(inputs, samples)
        ]
    for size, alpha, ref in zip(sizes, alphas, expected):
        assert alpha.shape == size
        diff = (alpha - ref).abs().max().item()
        assert diff <= 1e-5, f'{size}: max diff {diff:.3g} > 1e-5'


def test_mattor_preprocessor_refuses_test_batches_of_several():
    """Documented limitation of mmedit's MattorPreprocessor, which our
    config uses: test batches must be fed one sample at a time or built by
    hand (as above)."""
    model = build(model_cfg(True))
    samples = [make_sample(64, 64, seed=i) for i in range(2)]
    with pytest.raises(AssertionError, match='only batch_size=1'):
        model.data_preprocessor(
            dict(
                inputs=[s['inputs'] for s in samples],
                data_samples=[s['data_samples'] for s in samples]),
            training=False)


@pytest.fixture(scope='module')
def small_ours(host_model):
    return ours_like(host_model)


def one_sample(model, **overrides):
    inputs, samples = preprocess_test(model, [make_sample(64, 64, seed=0)])
    for key, value in overrides.items():
        samples[0].set_data({key: value})
    return inputs[0], samples


def test_wrong_channel_count_is_refused(small_ours):
    msg = ('IndexNet expects inputs of shape (N, 4, H, W): a 3-channel image '
           'and a 1-channel trimap, got (1, 3, 64, 64)')
    with pytest.raises(ValueError, match=re.escape(msg)):
        small_ours(torch.zeros(1, 3, 64, 64))


def test_image_trimap_size_mismatch_is_refused(small_ours):
    inputs, samples = one_sample(
        small_ours, ori_trimap=torch.zeros(1, 60, 64, dtype=torch.uint8))
    msg = ('data sample 0: image/trimap size mismatch, merged image is '
           '64x64 but ori_trimap has shape (1, 60, 64)')
    with pytest.raises(ValueError, match=re.escape(msg)):
        small_ours(inputs, samples, mode='predict')


def test_sample_count_and_mode_are_checked(small_ours):
    inputs, samples = one_sample(small_ours)
    with pytest.raises(
            ValueError,
            match=re.escape('got 1 data samples for a batch of 2 inputs')):
        small_ours(torch.cat([inputs] * 2), samples, mode='predict')
    with pytest.raises(
            ValueError,
            match=re.escape("mode must be one of ('tensor', 'predict', "
                            "'loss'), got 'test'")):
        small_ours(inputs, samples, mode='test')


@pytest.mark.parametrize('test_cfg,message', [
    (dict(resize_method='crop', resize_mode='bicubic', size_divisor=32),
     "test_cfg.resize_method must be one of ('interp', 'pad'), got 'crop'"),
    (dict(resize_method='pad', resize_mode='bicubic', size_divisor=32),
     "test_cfg.resize_mode must be one of ('reflect', 'replicate', "
     "'constant', 'circular') for resize_method='pad', got 'bicubic'"),
    (dict(resize_method='pad', resize_mode='reflect', size_divisor=0),
     'test_cfg.size_divisor must be a positive int, got 0'),
    (dict(resize_method='pad'),
     "test_cfg lacks ['resize_mode', 'size_divisor']"),
])
def test_bad_test_cfg_is_refused(test_cfg, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build(model_cfg(True, test_cfg=test_cfg))
