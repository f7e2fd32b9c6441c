"""torch's weights_only loading reads mmengine checkpoints, and no more."""
import io
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import indexnet_plugin  # noqa: F401  (allow-lists at import)


def runner_like_checkpoint() -> dict:
    """What mmengine's runner saves besides weights: meta and message hub."""
    hub = MessageHub.get_instance('test_safe_checkpoint')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(1e-3))
    hub.update_scalar('train/time', torch.tensor(0.25))
    hub.update_info('iter', 7)
    return dict(
        meta=dict(iter=7, seed=0, cfg='model = dict()'),
        state_dict={'conv.weight': torch.ones(2, 2)},
        message_hub=hub.state_dict())


def test_runner_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'iter_7.pth'
    torch.save(runner_like_checkpoint(), path)
    loaded = torch.load(path, weights_only=True)
    history = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert history.mean() == pytest.approx(0.5)
    assert loaded['message_hub']['runtime_info']['iter'] == 7


class _CallsGetattr:
    """Pickles as getattr(HistoryBuffer, '__init__'): an escape attempt."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


class _CallsSystem:

    def __reduce__(self):
        return os.system, ('echo pwned',)


@pytest.mark.parametrize('payload,message', [
    (_CallsGetattr(), "refusing getattr(<class 'mmengine.logging.history_buffer"
     ".HistoryBuffer'>, '__init__')"),
    (_CallsSystem(), 'system'),
])
def test_crafted_checkpoints_are_refused(payload, message):
    buffer = io.BytesIO()
    torch.save({'state_dict': {}, 'meta': payload}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed') as error:
        torch.load(buffer, weights_only=True)
    assert message in str(error.value)


def test_object_arrays_stay_refused():
    buffer = io.BytesIO()
    torch.save({'meta': np.array([print], dtype=object)}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buffer, weights_only=True)
