"""Convert the IndexNet authors' checkpoint into this plugin's format.

``poppinace/indexnet_matting`` ships ``pretrained/indexnet_matting.pth.tar``
(the paper's M2O DINs model, SAD 45.8 on Composition-1k). It is the same
network as ours, saved by their training script::

    {'state_dict': {'module.<key>': tensor, ...},   # from nn.DataParallel
     'optimizer': ..., 'epoch': ..., 'train_loss': ..., 'val_loss': ...,
     'measure': ...}                                # numpy float64 scalars

:func:`convert_original_checkpoint` reads it with ``weights_only=True``
(allow-listing only numpy's scalar reconstructor and ``numpy.dtype``, which
its loss and metric histories need), renames the 549 entries, validates them
against a freshly built model and writes ``{'meta', 'state_dict'}`` -- the
released OpenMMLab layout -- atomically. The result loads wherever a
released checkpoint does (``load_from``, ``init_predictor``,
``indexnet-predict --checkpoint``, ``tools/export_onnx.py``); evaluate it with
``configs/indexnet_mobv2_original.py``, the authors' test protocol.
"""
import hashlib
import io
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Mapping, Union

import numpy as np
import torch

from ...fileio import write_atomically
from ...models.original_keys import is_original_state, module_pairs, rename_key
from ..loading.builder import init_model
from ..loading.checkpoint import (CheckpointError, example_keys,
                                  mismatch_report, read_checkpoint)

# Bump when the key mapping changes; stored in the converted file's meta.
MAPPING_VERSION = 1

# What the authors' file pickles besides tensors and containers: numpy
# float64 scalars (their SAD/MSE/... histories), rebuilt by
# numpy.core.multiarray.scalar(numpy.dtype('f8'), bytes). Named explicitly,
# as the file spells them, so numpy 2's renamed module still reads it.
ORIGINAL_CHECKPOINT_GLOBALS = (
    (np.core.multiarray.scalar, 'numpy.core.multiarray.scalar'),
    (np.dtype, 'numpy.dtype'),
)


def read_original_checkpoint(
        path: Union[str, Path]) -> Dict[str, torch.Tensor]:
    """Read the authors' file with ``weights_only=True``.

    Args:
        path: The ``.pth.tar`` file.

    Returns:
        dict: Their state dict, ``module.`` prefixes removed.

    Raises:
        CheckpointError: Missing or unreadable file, a pickled object outside
            the allow-list, or no state dict of tensors.
    """
    with torch.serialization.safe_globals(ORIGINAL_CHECKPOINT_GLOBALS):
        return read_checkpoint(path)


def original_to_plugin_state(
        state: Mapping[str, torch.Tensor],
        source: str = 'checkpoint') -> 'OrderedDict[str, torch.Tensor]':
    """Rename and validate the authors' state dict for our mattor.

    Args:
        state: The authors' state dict (``module.`` removed).
        source: How messages name the file.

    Returns:
        OrderedDict: The state dict of our IndexNet mattor, in its key order;
        absent ``num_batches_tracked`` counters are filled with 0.

    Raises:
        CheckpointError: A file already converted or unrelated, or missing,
            unknown or mis-shaped entries (named, with both key names).
    """
    if any(k.startswith('backbone.') for k in state):
        raise CheckpointError(
            f"{source}: already in this plugin's format (keys such as "
            f"'{next(k for k in state if k.startswith('backbone.'))}'); use "
            'it directly (--checkpoint, load_from), no conversion needed')
    if not is_original_state(state):
        raise CheckpointError(
            f"{source}: not the IndexNet authors' checkpoint: none of its "
            f'{len(state)} keys is a key of their network (e.g. '
            f'{example_keys(list(state))})')
    pairs = module_pairs()
    renamed = {key: rename_key(key, dict(pairs)) for key in state}
    theirs_of = {ours: theirs for theirs, ours in pairs}
    expected = init_model().state_dict()
    converted = {
        ours: state[theirs]
        for theirs, ours in renamed.items() if ours in expected
    }
    missing = [
        f'{rename_key(k, theirs_of)} (our {k})' for k in expected
        if k not in converted and not k.endswith('num_batches_tracked')
    ]
    unknown = [k for k, ours in renamed.items() if ours not in expected]
    mismatched = [
        f'{theirs} {tuple(state[theirs].shape)} vs '
        f'{tuple(expected[ours].shape)}' for theirs, ours in renamed.items()
        if ours in converted and state[theirs].shape != expected[ours].shape
    ]
    found = (('missing keys', missing), ('unknown keys', unknown),
             ('shape mismatches (file vs model)', mismatched))
    problems = mismatch_report(found)
    if problems:
        raise CheckpointError(
            f"{source}: does not fit the IndexNet of the authors' demo.py "
            f'(M2O depthwise index blocks, ASPP, width 1): {problems}')
    return OrderedDict((k, converted.get(k, torch.zeros((), dtype=torch.long)))
                       for k in expected)


def convert_original_checkpoint(src: Union[str, Path],
                                dst: Union[str, Path]) -> dict:
    """Convert the authors' ``indexnet_matting.pth.tar`` for this plugin.

    Args:
        src: The authors' file.
        dst: Output file; written atomically, and only if every check passes.

    Returns:
        dict: The ``meta`` stored in ``dst``: source file name and SHA-256,
        mapping version and the config of the authors' test protocol.

    Raises:
        CheckpointError: See :func:`read_original_checkpoint` and
            :func:`original_to_plugin_state`; nothing is written.
    """
    src, dst = Path(src), Path(dst)
    state = original_to_plugin_state(read_original_checkpoint(src),
                                     f"checkpoint '{src}'")
    meta = {
        'source': src.name,
        'source_sha256': hashlib.sha256(src.read_bytes()).hexdigest(),
        'mapping_version': MAPPING_VERSION,
        'test_config': 'configs/indexnet_mobv2_original.py',
    }
    buffer = io.BytesIO()
    torch.save({'meta': meta, 'state_dict': state}, buffer)
    write_atomically(buffer.getvalue(), dst)
    return meta
