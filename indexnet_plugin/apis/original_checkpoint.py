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
from typing import Dict, List, Mapping, Tuple, Union

import numpy as np
import torch

from ..engine import write_atomically
from .inference import CheckpointError, _read_checkpoint, init_model

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

# Sub-module indices inside the authors' nn.Sequential blocks (ReLU6 layers
# in between hold no weights) -> our module names.
CONV_BN = {'0': 'conv', '1': 'bn'}
DEPTHWISE_SEPARABLE = {
    '0': 'depthwise_conv.conv',
    '1': 'depthwise_conv.bn',
    '3': 'pointwise_conv.conv',
    '4': 'pointwise_conv.bn'
}
INVERTED_RESIDUAL = {
    '0': '0.conv',
    '1': '0.bn',
    **{
        i: f'1.{name}'
        for i, name in zip('3467', DEPTHWISE_SEPARABLE.values())
    }
}
INDEX_BLOCK = {'0': '0.conv', '1': '0.bn', '3': '1.conv'}

# Blocks in the authors' layer1..layer7 (MobileNetV2, width 1).
ENCODER_BLOCKS = (1, 2, 3, 4, 3, 3, 1)
# index{n} learns the indices of encoder layer n.
INDEXED_LAYERS = (0, 2, 3, 4, 6)
NUM_INDEX_BLOCKS = 4  # M2O depthwise: indexnet1..indexnet4
NUM_DECODER_LAYERS = 7  # decoder_layer6 (deepest) .. decoder_layer0


def module_pairs() -> List[Tuple[str, str]]:
    """(authors' module, our module) for every module holding weights.

    Our names are relative to the mattor (``backbone.encoder`` /
    ``backbone.decoder``); the order is module order in both networks.
    """
    enc, dec = 'backbone.encoder', 'backbone.decoder'
    pairs = [(f'layer0.{i}', f'{enc}.layers.0.{name}')
             for i, name in CONV_BN.items()]
    for layer, blocks in enumerate(ENCODER_BLOCKS, start=1):
        inside = DEPTHWISE_SEPARABLE if layer == 1 else INVERTED_RESIDUAL
        pairs += [(f'layer{layer}.{b}.conv.{i}',
                   f'{enc}.layers.{layer}.{b}.conv.{name}')
                  for b in range(blocks) for i, name in inside.items()]
    pairs += [(f'index{layer}.indexnet{n + 1}.{i}',
               f'{enc}.index_layers.{j}.index_blocks.{n}.{name}')
              for j, layer in enumerate(INDEXED_LAYERS)
              for n in range(NUM_INDEX_BLOCKS)
              for i, name in INDEX_BLOCK.items()]
    # ASPP: a 1x1 branch, three separable dilated branches, image pooling.
    pairs += [(f'dconv_pp.aspp1.atrous_conv.{i}',
               f'{enc}.dconv.convs.0.{name}') for i, name in CONV_BN.items()]
    pairs += [(f'dconv_pp.aspp{a}.atrous_conv.{i}',
               f'{enc}.dconv.convs.{a - 1}.{name}') for a in (2, 3, 4)
              for i, name in DEPTHWISE_SEPARABLE.items()]
    pairs += [('dconv_pp.global_avg_pool.1', f'{enc}.dconv.convs.4.1.conv'),
              ('dconv_pp.global_avg_pool.2', f'{enc}.dconv.convs.4.1.bn')]
    pairs += [(f'dconv_pp.bottleneck_conv.{i}',
               f'{enc}.dconv.project.0.{name}') for i, name in CONV_BN.items()]
    pairs += [
        (f'decoder_layer{k}.dconv.{i}',
         f'{dec}.decoder_layers.{NUM_DECODER_LAYERS - 1 - k}.conv.{name}')
        for k in reversed(range(NUM_DECODER_LAYERS))
        for i, name in CONV_BN.items()
    ]
    pairs += [(f'pred.0.{i}', f'{dec}.pred.0.{name}')
              for i, name in CONV_BN.items()]
    pairs.append(('pred.1', f'{dec}.pred.1'))
    return pairs


def _rename(key: str, modules: Mapping[str, str]) -> Union[str, None]:
    """``key`` with its module renamed by ``modules``; None if unknown."""
    module, _, tensor = key.rpartition('.')
    return f'{modules[module]}.{tensor}' if module in modules else None


def is_original_state(state: Mapping[str, torch.Tensor]) -> bool:
    """Whether ``state`` (``module.`` removed) has the authors' key names."""
    modules = dict(module_pairs())
    return any(_rename(key, modules) for key in state)


def _examples(keys: List[str]) -> str:
    """The first few keys, for messages."""
    return ', '.join(keys[:3]) + (', ...' if len(keys) > 3 else '')


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
        return _read_checkpoint(path)


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
            f'{_examples(list(state))})')
    pairs = module_pairs()
    renamed = {key: _rename(key, dict(pairs)) for key in state}
    theirs_of = {ours: theirs for theirs, ours in pairs}
    expected = init_model().state_dict()
    converted = {
        ours: state[theirs]
        for theirs, ours in renamed.items() if ours in expected
    }
    missing = [
        f'{_rename(k, theirs_of)} (our {k})' for k in expected
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
    problems = '; '.join(f'{len(keys)} {what} ({_examples(keys)})'
                         for what, keys in found if keys)
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
