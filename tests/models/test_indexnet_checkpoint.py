"""Released-format mmedit checkpoints load into our IndexNet unchanged:
through a Runner's ``load_from``, over HTTP, with clear reports of key
mismatches, and never by unpickling arbitrary objects."""
import os
import pickle
import re

import pytest
import torch
from helpers.models import build, model_cfg, save_released, serve_directory
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_checkpoint


@pytest.fixture(scope='module')
def released(host_model, tmp_path_factory):
    directory = tmp_path_factory.mktemp('released')
    return save_released(host_model, directory / 'indexnet_mobv2.pth')


def assert_same_outputs(ours, reference):
    """Equal state_dicts and raw outputs within 1e-5."""
    ours_sd, ref_sd = ours.state_dict(), reference.state_dict()
    assert list(ours_sd) == list(ref_sd)
    assert all(torch.equal(ours_sd[k], ref_sd[k]) for k in ref_sd)
    x = torch.randn(1, 4, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diff = (ours.eval()(x) - reference(x)).abs().max().item()
    assert diff <= 1e-5, f'max|ours - mmedit| = {diff:.3g} > 1e-5'


def test_runner_load_from_config(host_model, released, tmp_path):
    cfg = Config(
        dict(
            custom_imports=dict(imports=['indexnet_plugin']),
            default_scope='indexnet_plugin',
            model=model_cfg(True),
            work_dir=str(tmp_path / 'work_dir'),
            load_from=str(released)))
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    assert type(runner.model).__module__ == 'indexnet_plugin.models.mattor'
    assert_same_outputs(runner.model, host_model)


def test_load_over_http(host_model, released, tmp_path, monkeypatch):
    # mmengine caches HTTP downloads under $TORCH_HOME/hub/checkpoints.
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    ours = build(model_cfg(True))
    with serve_directory(released.parent) as base_url:
        load_checkpoint(
            ours, f'{base_url}/{released.name}', map_location='cpu',
            strict=True)
    cached = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / released.name
    assert cached.is_file()
    assert_same_outputs(ours, host_model)


def test_missing_and_unexpected_keys_are_named(host_model, tmp_path, capsys):
    state_dict = dict(host_model.state_dict())
    del state_dict['backbone.decoder.pred.1.weight']
    state_dict['backbone.encoder.extra.weight'] = torch.zeros(1)
    path = tmp_path / 'mismatch.pth'
    torch.save({'meta': {}, 'state_dict': state_dict}, path)
    ours = build(model_cfg(True))
    with pytest.raises(RuntimeError) as info:
        load_checkpoint(ours, str(path), strict=True)
    message = str(info.value)
    assert ('unexpected key in source state_dict: '
            'backbone.encoder.extra.weight') in message
    assert ('missing keys in source state_dict: '
            'backbone.decoder.pred.1.weight') in message
    # The Runner's non-strict load still reports both.
    load_checkpoint(ours, str(path), strict=False)
    out = capsys.readouterr().out
    assert 'backbone.encoder.extra.weight' in out
    assert 'backbone.decoder.pred.1.weight' in out


def test_pickled_callable_is_refused(host_model, tmp_path):
    path = tmp_path / 'malicious.pth'
    torch.save(
        {
            'meta': {
                'hook': os.system
            },
            'state_dict': host_model.state_dict()
        }, path)
    ours = build(model_cfg(True))
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    with pytest.raises(pickle.UnpicklingError) as info:
        load_checkpoint(ours, str(path), map_location='cpu')
    message = str(info.value)
    assert 'Weights only load failed' in message
    assert re.search(r'(posix|os)\.system', message), message
    after = ours.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
