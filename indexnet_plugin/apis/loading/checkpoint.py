"""Reading checkpoints safely and loading them into a model.

One reader (:func:`read_checkpoint`: local or http(s), ``weights_only=True``,
``module.`` prefixes removed) and one key-mismatch report
(:func:`mismatch_report`) serve both the released-format loader
(:func:`load_weights`) and the converter of the authors' file
(:mod:`~indexnet_plugin.apis.convert.original_checkpoint`).
"""
import http.client
import re
from pathlib import Path
from typing import Dict, Sequence, Tuple, Union

import torch

from ...models.original_keys import is_original_state

# Keys named in a message before '...'.
EXAMPLE_KEYS = 3


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


def read_checkpoint(checkpoint: Union[str, Path]) -> Dict[str, torch.Tensor]:
    """Load a local or http(s) checkpoint's state dict with
    ``weights_only=True``.

    A URL is downloaded once into ``torch.hub``'s checkpoint cache. Objects
    other than tensors and containers are refused unless the caller
    allow-lists them (``torch.serialization.safe_globals``).

    Args:
        checkpoint: Path or http(s) URL.

    Returns:
        dict: The state dict (the file's ``state_dict`` entry, or the file
        itself), ``module.`` prefixes of DataParallel wrappers removed.

    Raises:
        CheckpointError: Missing file, failed download, a file torch cannot
            read (naming the refused global), or no state dict of tensors.
    """
    source = str(checkpoint)
    if source.startswith(('http://', 'https://')):
        path = Path(torch.hub.get_dir()) / 'checkpoints' / Path(source).name
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                torch.hub.download_url_to_file(source, str(path))
            # URLError and HTTPError are OSErrors; ValueError: a malformed
            # URL; HTTPException: a connection cut mid-file.
            except (OSError, ValueError, http.client.HTTPException) as error:
                raise CheckpointError(
                    f"checkpoint '{source}': download failed ({error})"
                ) from error
    else:
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"checkpoint '{source}': file not found")
    try:
        loaded = torch.load(path, map_location='cpu', weights_only=True)
    # Any type: torch.load raises what its parsers meet (measured on
    # torch 2.14: IndexError for random bytes, KeyError for text, EOFError
    # for an empty file, RuntimeError for a truncated zip, UnpicklingError
    # for a refused global).
    except Exception as error:
        # torch's weights_only refusal starts with advice; name the global.
        found = re.search(r'WeightsUnpickler error: ([^.\n]*)', str(error))
        reason = found.group(1) if found else (str(error).strip().splitlines()
                                               or [''])[0]
        raise CheckpointError(f"checkpoint '{source}': cannot be read "
                              f'({type(error).__name__}: {reason})'
                              ) from error
    state = loaded.get('state_dict', loaded) if isinstance(loaded,
                                                           dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(
            f"checkpoint '{source}': expected a state_dict or a dict with a "
            "'state_dict' of tensors")
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}


def example_keys(keys: Sequence[str]) -> str:
    """The first few keys, for messages."""
    shown = ', '.join(keys[:EXAMPLE_KEYS])
    return shown + (', ...' if len(keys) > EXAMPLE_KEYS else '')


def mismatch_report(found: Sequence[Tuple[str, Sequence[str]]]) -> str:
    """One line summarising key problems, e.g. ``2 missing keys (a, b)``.

    Args:
        found: (what, keys) pairs, such as ``('missing keys', [...])``;
            pairs without keys are left out.

    Returns:
        str: The non-empty groups joined by ``'; '``, or ``''``.
    """
    return '; '.join(f'{len(keys)} {what} ({example_keys(keys)})'
                     for what, keys in found if keys)


def load_weights(model: torch.nn.Module, checkpoint: Union[str,
                                                           Path]) -> None:
    """Load a checkpoint into a model, requiring an exact architecture match.

    Accepts old mmedit files (``{'meta': ..., 'state_dict': ...}``), mmengine
    runner checkpoints and bare state dicts, from a path or an http(s) URL
    (downloaded once into ``torch.hub``'s cache). BatchNorm's
    ``num_batches_tracked`` counters may be absent (unused at test time).

    Args:
        model: The model to load into.
        checkpoint: Path or URL.

    Raises:
        CheckpointError: Unreadable file, the authors' unconverted file, or
            keys/shapes that differ from the model's, summarised in one line.
    """
    state = read_checkpoint(checkpoint)
    if is_original_state(state):
        raise CheckpointError(
            f"checkpoint '{checkpoint}': the IndexNet authors' own file; "
            'convert it once with python tools/convert_original_checkpoint.py '
            f'{checkpoint} CONVERTED.pth and use CONVERTED.pth with '
            'configs/indexnet_mobv2_original.py')
    expected = model.state_dict()
    missing = [k for k in expected if k not in state
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in expected]
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}'
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    problems = mismatch_report(
        (('missing keys', missing), ('unexpected keys', unexpected),
         ('shape mismatches (checkpoint vs model)', mismatched)))
    if problems:
        raise CheckpointError(
            f"checkpoint '{checkpoint}': does not fit the model "
            f'{type(model).__name__} ({problems}); is it a '
            'checkpoint of this config?')
    model.load_state_dict(state, strict=False)
