"""The authors' checkpoint: key mapping, conversion, refusals, and the bare
network against outputs computed with their code."""
import hashlib
import importlib.util
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import load_checkpoint
from original_fixtures import (CASES, CONFIG, FIXTURES, REPO, input_sha256,
                               load_case, original_keys,
                               save_original_checkpoint)
# pytest fixtures
from original_fixtures import (  # noqa: F401
    converted_file, original_file, original_state)

from indexnet_plugin.apis import CheckpointError, init_model, init_predictor
from indexnet_plugin.apis.cli.predict import main
from indexnet_plugin.apis.convert.original_checkpoint import (
    MAPPING_VERSION, ORIGINAL_CHECKPOINT_GLOBALS, convert_original_checkpoint)
from indexnet_plugin.models.original_keys import module_pairs


def load_tool():
    """tools/convert_original_checkpoint.py as a module."""
    path = REPO / 'tools' / 'convert_original_checkpoint.py'
    spec = importlib.util.spec_from_file_location('convert_original', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(key: str) -> str:
    """Our name of one of the authors' keys, by the conversion's table."""
    module, _, tensor = key.rpartition('.')
    return f'{dict(module_pairs())[module]}.{tensor}'


def test_fixture_network_is_ours():
    """549 entries (88 batch-norm counters), 5,953,515 parameters, mapped one
    to one onto our model's keys, in order, with equal shapes."""
    keys = original_keys()
    assert len(keys) == 549
    assert sum(k.endswith('num_batches_tracked') for k, _ in keys) == 88
    assert sum(
        int(np.prod(shape)) for k, shape in keys
        if k.rsplit('.', 1)[1] in ('weight', 'bias')) == 5_953_515
    expected = init_model().state_dict()
    assert [ours(k) for k, _ in keys] == list(expected)
    assert all(expected[ours(k)].shape == shape for k, shape in keys)


def test_round_trip(original_file, original_state, converted_file):
    """Every tensor lands under its mapped name, unchanged; the file loads
    with weights_only=True and records where it came from."""
    loaded = torch.load(converted_file, weights_only=True)
    assert set(loaded) == {'meta', 'state_dict'}
    state = loaded['state_dict']
    assert list(state) == [ours(k) for k in original_state]
    for key, value in original_state.items():
        assert torch.equal(state[ours(key)], value), key
    assert loaded['meta'] == {
        'source':
        'indexnet_matting.pth.tar',
        'source_sha256':
        hashlib.sha256(Path(original_file).read_bytes()).hexdigest(),
        'mapping_version':
        MAPPING_VERSION,
        'test_config':
        'configs/indexnet_mobv2_original.py',
    }


def test_converted_file_loads_like_a_released_checkpoint(
        converted_file, original_state):
    """mmengine's loader (what load_from and mim test use), strictly."""
    model = init_model(CONFIG)
    load_checkpoint(model, str(converted_file), strict=True)
    weight = original_state['decoder_layer6.dconv.0.weight']
    assert torch.equal(
        model.backbone.decoder.decoder_layers[0].conv.conv.weight, weight)


def test_missing_batch_norm_counters_are_filled(original_state, tmp_path):
    state = OrderedDict((k, v) for k, v in original_state.items()
                        if not k.endswith('num_batches_tracked'))
    src = save_original_checkpoint(tmp_path / 'old.pth.tar', state)
    convert_original_checkpoint(src, tmp_path / 'out.pth')
    converted = torch.load(tmp_path / 'out.pth', weights_only=True)
    counters = [
        v for k, v in converted['state_dict'].items()
        if k.endswith('num_batches_tracked')
    ]
    assert len(converted['state_dict']) == 549 and len(counters) == 88
    assert all(c.dtype == torch.long and c.item() == 0 for c in counters)


def refusal(src, tmp_path) -> str:
    """Convert ``src``, expect a refusal, check nothing was written."""
    dst = tmp_path / 'out.pth'
    with pytest.raises(CheckpointError) as info:
        convert_original_checkpoint(src, dst)
    assert not dst.exists() and not [
        p for p in os.listdir(tmp_path) if p.endswith('.tmp')
    ]
    return str(info.value)


def test_refuses_an_unrelated_file(tmp_path):
    src = tmp_path / 'resnet.pth'
    torch.save({'state_dict': {'fc.weight': torch.ones(2, 2)}}, src)
    assert refusal(src, tmp_path) == (
        f"checkpoint '{src}': not the IndexNet authors' checkpoint: none of "
        'its 1 keys is a key of their network (e.g. fc.weight)')


def test_refuses_a_file_without_state_dict(tmp_path):
    src = tmp_path / 'weights.pth'
    torch.save(torch.ones(3), src)
    assert refusal(src, tmp_path) == (
        f"checkpoint '{src}': expected a state_dict or a dict with a "
        "'state_dict' of tensors")


def test_refuses_an_already_converted_file(converted_file, tmp_path):
    assert refusal(converted_file, tmp_path) == (
        f"checkpoint '{converted_file}': already in this plugin's format "
        "(keys such as 'backbone.encoder.layers.0.conv.weight'); use it "
        'directly (--checkpoint, load_from), no conversion needed')


def test_names_missing_unknown_and_mis_shaped_keys(original_state, tmp_path):
    state = OrderedDict(original_state)
    del state['index3.indexnet2.1.running_var']
    state['index3.indexnet5.0.weight'] = torch.ones(1)
    state['pred.1.weight'] = torch.ones(1, 1, 3, 3)
    src = save_original_checkpoint(tmp_path / 'edited.pth.tar', state)
    assert refusal(src, tmp_path) == (
        f"checkpoint '{src}': does not fit the IndexNet of the authors' "
        'demo.py (M2O depthwise index blocks, ASPP, width 1): 1 missing keys '
        '(index3.indexnet2.1.running_var (our backbone.encoder.index_layers.'
        '2.index_blocks.1.0.bn.running_var)); 1 unknown keys '
        '(index3.indexnet5.0.weight); 1 shape mismatches (file vs model) '
        '(pred.1.weight (1, 1, 3, 3) vs (1, 1, 5, 5))')


class Payload:
    """Unpickling it would call print: what a malicious file does."""

    def __reduce__(self):
        return print, ('pwned', )


def test_refuses_a_pickled_callable(original_state, tmp_path):
    src = tmp_path / 'evil.pth.tar'
    torch.save(
        {
            'state_dict': {
                'module.' + k: v
                for k, v in original_state.items()
            },
            'epoch': Payload()
        }, src)
    assert refusal(src, tmp_path) == (
        f"checkpoint '{src}': cannot be read (UnpicklingError: "
        'Unsupported global: GLOBAL print was not an allowed global by '
        'default)')


def test_missing_file(tmp_path):
    assert refusal(tmp_path / 'nope.pth.tar', tmp_path) == (
        f"checkpoint '{tmp_path / 'nope.pth.tar'}': file not found")


def test_tool(original_file, tmp_path, capsys):
    tool = load_tool()
    dst = tmp_path / 'converted.pth'
    assert tool.main([str(original_file), str(dst)]) == 0
    assert capsys.readouterr().out.startswith(
        f'{dst} (from indexnet_matting.pth.tar, sha256 ')
    assert tool.main([str(dst), str(tmp_path / 'again.pth')]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: checkpoint '{dst}': already in this plugin's format")
    assert not (tmp_path / 'again.pth').exists()


@pytest.mark.parametrize('case', CASES)
def test_bare_network_matches_the_authors(case, converted_file):
    """Our preprocessing gives their network input bit for bit; our network
    gives their raw output within 1e-5 (the only difference: their ASPP
    image-pooling branch upsamples its 1x1 map with nearest, ours bilinear,
    equal up to rounding)."""
    fixture = load_case(case)
    predictor = init_predictor(CONFIG, converted_file, fast=False)
    inputs = predictor.settings.to_network_input(fixture['image'],
                                                 fixture['trimap'],
                                                 predictor.device)
    assert input_sha256(inputs) == fixture['input_sha256']
    with torch.no_grad():
        raw = predictor.network(inputs)[0, 0].numpy()
    assert raw.shape == fixture['raw'].shape
    difference = np.abs(raw - fixture['raw']).max()
    assert difference <= 1e-5, f'max|ours - authors| = {difference:.3g}'


def test_allow_list_is_exactly_what_the_file_needs(original_file):
    """Besides tensors and containers the authors' file pickles numpy
    float64 scalars: their reconstructor and numpy.dtype, nothing else."""
    allowed = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()  # the plugin's mmengine list
    try:
        needed = torch.serialization.get_unsafe_globals_in_checkpoint(
            original_file)
    finally:
        torch.serialization.add_safe_globals(allowed)
    assert sorted(needed) == sorted(name
                                    for _, name in ORIGINAL_CHECKPOINT_GLOBALS)


def test_unconverted_file_is_refused_with_the_conversion_command(
        original_file, tmp_path, capsys):
    status = main([
        str(FIXTURES / 'small_image.png'),
        str(FIXTURES / 'small_trimap.png'), '--config', CONFIG, '--checkpoint',
        str(original_file), '-o',
        str(tmp_path / 'out'), '--quiet'
    ])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"error: checkpoint '{original_file}': the IndexNet authors' own "
        'file; convert it once with python '
        f'tools/convert_original_checkpoint.py {original_file} CONVERTED.pth '
        'and use CONVERTED.pth with configs/indexnet_mobv2_original.py')


def test_unconverted_file_is_refused_by_mmengine_loading(original_file):
    """mim test and load_from load with strict=False, which would keep the
    initial weights with a warning; the mattor refuses instead."""
    model = init_model(CONFIG)
    with pytest.raises(ValueError) as info:
        load_checkpoint(model, str(original_file))
    assert str(info.value) == (
        "these are the IndexNet authors' unconverted weights (keys such as "
        "'layer0.0.weight'); convert their file once with python "
        'tools/convert_original_checkpoint.py SRC DST and load DST (with '
        'configs/indexnet_mobv2_original.py)')
