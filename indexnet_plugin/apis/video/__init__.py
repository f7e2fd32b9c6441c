"""Video matting: a clip (a video file or a folder of numbered frames) with
a guide per frame in, an alpha video, cut-outs and composites out.

Modules by job: :mod:`.formats` (what is a clip; no PyAV),
:mod:`.containers` (reading video files with PyAV), :mod:`.frame_folders`
(numbered frames), :mod:`.guides` (a trimap per frame from a trimap clip, a
mask clip or the person segmenter), :mod:`.stabilise` (masks that hold still
where the picture does), :mod:`.encoders` and :mod:`.audio` (output files),
:mod:`.outputs` and :mod:`.writers` (what a run writes, atomically),
:mod:`.pipeline` (the stages in threads, bounded memory), :mod:`.predict`
(:func:`predict_video`), :mod:`.metrics` (SAD, MSE, dtSSD, MESSDdt).

PyAV is the ``[video]`` extra: the names below are imported on first use,
so ``import indexnet_plugin.apis.video`` works without it and using them
raises ``ImportError``.
"""
import importlib

# name -> module that defines it
_EXPORTS = {
    'ClipInfo': 'containers', 'VideoInputError': 'containers',
    'probe_video': 'containers', 'read_video': 'containers',
    'VideoOutputError': 'outputs', 'VideoOutputs': 'outputs',
    'VideoResult': 'predict', 'predict_video': 'predict',
    'is_video_file': 'formats',
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'.{_EXPORTS[name]}', __name__),
                   name)
