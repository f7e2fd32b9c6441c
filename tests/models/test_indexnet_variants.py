"""Every encoder variant against mmedit 1.0.0rc7, plus timm-style checks."""
import itertools
import re

import pytest
import torch
from helpers.models import build, model_cfg, save_released
from mmengine.runner.checkpoint import load_checkpoint

from indexnet_plugin.models import (DepthwiseIndexBlock, IndexNetDecoder,
                                    IndexNetEncoder, stage_channels)
from indexnet_plugin.testing import randomise_weights

VARIANTS = [
    dict(
        index_mode=mode,
        use_context=context,
        use_nonlinear=nonlinear,
        aspp=aspp,
        out_stride=out_stride) for mode, context, nonlinear, aspp, out_stride
    in itertools.product(('holistic', 'o2o', 'm2o'), (False, True), (
        False, True), (False, True), (16, 32))
]


def variant_id(v: dict) -> str:
    return '-'.join(f'{k}={v[k]}' for k in v)


@pytest.mark.slow  # 48 cases, ~2 s each on an idle core
@pytest.mark.parametrize('variant', VARIANTS, ids=variant_id)
def test_variant_matches_mmedit_through_released_checkpoint(tmp_path, variant):
    """state_dict keys/shapes equal; mmedit's released-format weights load
    strictly through mmengine's checkpoint loader; raw outputs agree."""
    theirs = randomise_weights(build(model_cfg(False, **variant)), seed=1)
    ours = build(model_cfg(True, **variant))
    theirs_sd, ours_sd = theirs.state_dict(), ours.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert {k: v.shape for k, v in ours_sd.items()} == {
        k: v.shape for k, v in theirs_sd.items()}

    ckpt = save_released(theirs, tmp_path / 'released.pth')
    load_checkpoint(ours, str(ckpt), map_location='cpu', strict=True)

    theirs.eval(), ours.eval()
    x = torch.randn(1, 4, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = theirs(x, mode='tensor')
        out = ours(x, mode='tensor')
    assert out.shape == (1, 1, 32, 32)
    assert ref.std() > 1e-2, f'reference output nearly constant: {ref.std()}'
    diff = (out - ref).abs().max().item()
    assert diff <= 1e-5, f'max|ours - mmedit| = {diff:.3g} > 1e-5'


def test_default_parameter_count_equals_mmedit():
    theirs = build(model_cfg(False))
    ours = build(model_cfg(True))
    n_theirs = sum(p.numel() for p in theirs.parameters())
    n_ours = sum(p.numel() for p in ours.parameters())
    assert n_ours == n_theirs == 5953515, (n_ours, n_theirs)


@pytest.mark.parametrize('variant', [
    dict(index_mode='holistic', out_stride=32),
    dict(index_mode='o2o', out_stride=16, aspp=False),
    dict(index_mode='m2o', out_stride=32, use_context=False),
],
                         ids=variant_id)
def test_every_parameter_gets_a_gradient(variant):
    model = build(model_cfg(True, **variant)).train()
    x = torch.randn(2, 4, 32, 32)
    model(x, mode='tensor').square().mean().backward()
    missing = [
        n for n, p in model.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing, f'no gradient for {missing}'


@pytest.mark.parametrize('size', [(32, 32), (64, 96), (96, 32)])
@pytest.mark.parametrize('out_stride', [16, 32])
def test_output_shapes_and_finite(size, out_stride):
    encoder = IndexNetEncoder(4, out_stride=out_stride).eval()
    decoder = IndexNetDecoder(encoder.out_channels).eval()
    x = torch.randn(1, 4, *size)
    with torch.no_grad():
        feats = encoder(x)
        alpha = decoder(feats)
    h, w = size
    assert feats['out'].shape == (1, 160, h // out_stride, w // out_stride)
    assert [s.shape[1] for s in feats['shortcuts']] == list(
        encoder.shortcut_channels)
    assert [d is None for d in feats['dec_idx_feat_list']
            ] == [False, True, False, False, False, True, out_stride == 16]
    assert alpha.shape == (1, 1, h, w)
    assert torch.isfinite(alpha).all()


def test_state_dict_round_trip(tmp_path):
    model = randomise_weights(build(model_cfg(True)), seed=3).eval()
    torch.save(model.state_dict(), tmp_path / 'sd.pth')
    fresh = build(model_cfg(True)).eval()
    fresh.load_state_dict(torch.load(tmp_path / 'sd.pth', weights_only=True))
    x = torch.randn(1, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), fresh(x))


@pytest.mark.parametrize('width_mult', [0.5, 1.5])
def test_width_mult_reaches_the_decoder(width_mult):
    """mmedit's decoder ignores width_mult and cannot be built for it;
    ours derives every channel count from it."""
    encoder = IndexNetEncoder(4, width_mult=width_mult).eval()
    decoder = IndexNetDecoder(encoder.out_channels,
                              width_mult=width_mult).eval()
    assert encoder.shortcut_channels == stage_channels(width_mult)
    alpha = decoder(encoder(torch.randn(1, 4, 32, 32)))
    assert alpha.shape == (1, 1, 32, 32)


def test_decoder_width_mismatch_is_named():
    encoder = IndexNetEncoder(4, width_mult=0.5).eval()
    decoder = IndexNetDecoder(encoder.out_channels).eval()
    msg = ('IndexNetDecoder(width_mult=1) expects shortcut channels '
           '(160, 96, 64, 32, 24, 16, 32) (coarse to fine), got '
           '(80, 48, 32, 16, 12, 8, 16); set the same width_mult in encoder '
           'and decoder')
    with pytest.raises(ValueError, match=re.escape(msg)):
        decoder(encoder(torch.randn(1, 4, 32, 32)))


def test_freeze_bn_keeps_encoder_statistics_through_a_training_step():
    model = build(model_cfg(True)).train()
    encoder_bns = [
        m for m in model.backbone.encoder.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    decoder_bns = [
        m for m in model.backbone.decoder.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert encoder_bns and not any(m.training for m in encoder_bns)
    assert all(m.training for m in decoder_bns)
    before = {
        k: v.clone()
        for k, v in model.state_dict().items() if 'running' in k
    }
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(2, 4, 32, 32)).mean().backward()
    optim.step()
    after = model.state_dict()
    moved = [k for k in before if not torch.equal(before[k], after[k])]
    assert moved, 'decoder statistics should update'
    assert all(k.startswith('backbone.decoder.') for k in moved), [
        k for k in moved if not k.startswith('backbone.decoder.')
    ]
    # The affine parameters of frozen BatchNorms still train.
    assert encoder_bns[0].weight.grad is not None


@pytest.mark.parametrize('kwargs,message', [
    (dict(index_mode='oso'),
     "index_mode must be one of ('holistic', 'o2o', 'm2o'), got 'oso'"),
    (dict(out_stride=8), 'out_stride must be one of (16, 32), got 8'),
    (dict(width_mult=0), 'width_mult must be > 0, got 0'),
    (dict(in_channels=0), 'in_channels must be a positive int, got 0'),
])
def test_encoder_rejects_bad_arguments(kwargs, message):
    kwargs = dict(dict(in_channels=4), **kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        IndexNetEncoder(**kwargs)


def test_depthwise_block_and_decoder_reject_bad_arguments():
    with pytest.raises(
            ValueError,
            match=re.escape("mode must be one of ('o2o', 'm2o'), got 'oso'")):
        DepthwiseIndexBlock(8, mode='oso')
    with pytest.raises(
            ValueError,
            match=re.escape('kernel_size must be a positive odd int, got 4')):
        IndexNetDecoder(160, kernel_size=4)


@pytest.mark.parametrize('shape,message', [
    ((1, 3, 64, 64), 'IndexNetEncoder expects input of shape (N, 4, H, W) '
     '(RGB image + trimap), got (1, 3, 64, 64)'),
    ((1, 4, 64, 48), 'IndexNetEncoder with out_stride=32 needs H and W '
     'divisible by 32, got H=64, W=48'),
])
def test_encoder_rejects_bad_input(shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        IndexNetEncoder(4)(torch.zeros(shape))
