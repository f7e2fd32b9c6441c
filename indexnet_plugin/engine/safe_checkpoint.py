"""Let ``torch.load(weights_only=True)`` read mmengine's own checkpoints.

Since torch 2.6 ``torch.load`` refuses every global that is not allow-listed.
Model weights (old mmedit ``{'meta', 'state_dict'}`` files included) need
nothing, but a checkpoint written by mmengine's runner also stores its message
hub, whose ``HistoryBuffer`` objects hold numpy arrays and pickle their
statistics methods as ``getattr(HistoryBuffer, 'mean')``. Without the
allow-list below ``mim test`` and ``--resume`` fail on such files.

Allowing the real ``builtins.getattr`` would let a crafted file reach any
attribute of any allowed object, and from there arbitrary code. So the name
``builtins.getattr`` is bound to :func:`history_buffer_statistic`, which
resolves nothing but HistoryBuffer's registered statistics methods.
"""
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

# Globals a checkpoint written by mmengine 0.10.7's runner contains, as listed
# by torch.serialization.get_unsafe_globals_in_checkpoint.
MMENGINE_CHECKPOINT_GLOBALS = (
    HistoryBuffer,
    np.ndarray,
    np.dtype,
    np.core.multiarray._reconstruct,
    np.core.multiarray.scalar,
    # numpy >= 1.25 pickles a dtype through its class (Float64DType, ...);
    # numeric and bool dtypes only: an object array could smuggle anything.
    *{type(np.dtype(code))
      for code in np.typecodes['AllFloat'] + np.typecodes['AllInteger'] + '?'},
)

# HistoryBuffer's built-in statistics methods, which it pickles by name.
HISTORY_BUFFER_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def history_buffer_statistic(owner: object, name: str):
    """Stand-in for ``getattr`` while unpickling a checkpoint.

    Args:
        owner: The object whose attribute the pickle asks for.
        name: The attribute name.

    Returns:
        callable: ``HistoryBuffer.<name>`` for one of HistoryBuffer's
        built-in statistics methods.

    Raises:
        pickle.UnpicklingError: For any other owner or attribute.
    """
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({owner!r}, {name!r}) in a checkpoint: only '
        'HistoryBuffer statistics methods are allowed')


def allow_mmengine_checkpoints() -> None:
    """Allow-list what mmengine's runner writes, and nothing more."""
    torch.serialization.add_safe_globals(
        [*MMENGINE_CHECKPOINT_GLOBALS,
         (history_buffer_statistic, 'builtins.getattr')])
