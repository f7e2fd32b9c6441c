"""Folder layout of the Adobe Deep Image Matting download and of the
prepared ``data/adobe_composition-1k`` root read by mmedit's
``AdobeComp1kDataset``.

Download (``Combined_Dataset``)::

    Combined_Dataset/
        Training_set/
            training_fg_names.txt   one foreground file name a line
            training_bg_names.txt   N COCO names a foreground, in fg order
            Adobe-licensed images/{alpha,fg}/
            Other/{alpha,fg}/
        Test_set/
            test_fg_names.txt
            test_bg_names.txt       N VOC names a foreground, in fg order
            Adobe-licensed images/{alpha,fg,trimaps}/
    coco/train2014/COCO_train2014_*.jpg      (or train2017/ without prefix)
    VOCdevkit/VOC2012/JPEGImages/*.jpg

Prepared root (what ``configs/_base_/comp1k.py`` points at)::

    adobe_composition-1k/
        training_list.json  test_list.json
        Training_set/
            Adobe-licensed images/  Other/  *_names.txt   (links to download)
            bg/<fg stem>_<j>.png      background j resized to cover fg, cropped
            merged/<fg stem>_<j>.png  alpha * fg + (1 - alpha) * bg
        Test_set/
            Adobe-licensed images/  *_names.txt           (links to download)
            bg/  merged/                                 (as above)

Annotation entries are paths relative to the prepared root, in the key order
mmedit's converter writes: ``alpha_path, fg_path, bg_path, merged_path`` and,
for the test split, ``trimap_path``. Training entries point at the original
foreground (not a re-estimated one), the resized background, the composite and
the alpha, which is what the IndexNet configs load.
"""
import os.path as osp
from typing import NamedTuple, Tuple

COMBINED_DIR = 'Combined_Dataset'
ADOBE_DIR = 'Adobe-licensed images'
OTHER_DIR = 'Other'
# COCO 2014 file names carry this prefix; COCO 2017 names are the bare id.
COCO2014_PREFIX = 'COCO_train2014_'


class SplitLayout(NamedTuple):
    """Where one split lives in the download and in the prepared root.

    Args:
        name: ``'training'`` or ``'test'``; prefix of the name lists and of
            the annotation file.
        folder: Split folder, identical in the download and prepared root.
        source_dirs: Sub-folders holding ``alpha/`` and ``fg/``, searched in
            order for each foreground name.
        has_trimaps: Whether the download ships one trimap per composite in
            ``<ADOBE_DIR>/trimaps`` (named like the composite, with the
            foreground's extension).
    """
    name: str
    folder: str
    source_dirs: Tuple[str, ...]
    has_trimaps: bool

    @property
    def fg_list(self) -> str:
        """Foreground name list, relative to the split folder."""
        return f'{self.name}_fg_names.txt'

    @property
    def bg_list(self) -> str:
        """Background name list, relative to the split folder."""
        return f'{self.name}_bg_names.txt'

    @property
    def ann_file(self) -> str:
        """Annotation file, relative to the prepared root."""
        return f'{self.name}_list.json'

    @property
    def trimap_dir(self) -> str:
        """Trimap folder, relative to the split folder."""
        return osp.join(ADOBE_DIR, 'trimaps')


SPLITS = {
    'training':
    SplitLayout('training', 'Training_set', (ADOBE_DIR, OTHER_DIR), False),
    'test':
    SplitLayout('test', 'Test_set', (ADOBE_DIR, ), True),
}


def composite_name(fg_name: str, index: int, keep_ext: bool = False) -> str:
    """Name of the ``index``-th composite of a foreground.

    Args:
        fg_name: Foreground file name, e.g. ``'hair.jpg'``.
        index: Position of the background among the foreground's N.
        keep_ext: Keep the foreground's extension (the trimap naming of the
            download) instead of ``.png`` (our bg and merged outputs).

    Returns:
        str: e.g. ``'hair_3.png'``.
    """
    stem, ext = osp.splitext(fg_name)
    return f'{stem}_{index}{ext if keep_ext else ".png"}'
