"""Adobe Composition-1k: preparation from the official download and a
synthetic stand-in in the same layout.

- :func:`prepare_comp1k` composites the download into the
  ``data/adobe_composition-1k`` root read by mmedit's ``AdobeComp1kDataset``
  (CLI: ``tools/prepare_comp1k.py``).
- :func:`make_synthetic_comp1k` writes a small dataset in the download layout
  (CLI: ``tools/make_synthetic_comp1k.py``); :func:`build_demo_dataset`
  generates and prepares one in a single call.
- :func:`synthetic_clip` makes a clip with known alpha (a synthetic
  foreground moving over a background, with camera noise) for measuring the
  temporal stability of video matting.
"""
from .layout import SPLITS, SplitLayout, composite_name
from .compositing import Problem, composite, fit_background
from .prepare import PrepareReport, prepare_comp1k
from .synthetic import (SyntheticSources, build_demo_dataset,
                        make_synthetic_comp1k, synthetic_alpha,
                        synthetic_background, synthetic_foreground,
                        trimap_from_alpha)
from .synthetic_clip import SyntheticClip, clip_motion, synthetic_clip

__all__ = [
    'SPLITS', 'SplitLayout', 'composite_name', 'PrepareReport', 'Problem',
    'composite', 'fit_background', 'prepare_comp1k', 'SyntheticSources',
    'build_demo_dataset', 'make_synthetic_comp1k', 'synthetic_alpha',
    'synthetic_background', 'synthetic_foreground', 'trimap_from_alpha',
    'SyntheticClip', 'clip_motion', 'synthetic_clip'
]
