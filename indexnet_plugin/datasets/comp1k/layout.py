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
from typing import Iterable, List, NamedTuple, Optional, Tuple

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


# ------------------------------------------------------- locating the parts
def find_adobe_root(path: str) -> str:
    """Locate the folder holding ``Training_set``/``Test_set``.

    Args:
        path: The download folder, either the one containing
            ``Combined_Dataset`` or ``Combined_Dataset`` itself (or an
            already prepared root, for in-place preparation).

    Returns:
        str: The folder with the split folders.

    Raises:
        FileNotFoundError: No split folder found there.
    """
    for candidate in (osp.join(path, COMBINED_DIR), path):
        if any(
                osp.isdir(osp.join(candidate, split.folder))
                for split in SPLITS.values()):
            return candidate
    raise FileNotFoundError(
        f'{path} holds neither {COMBINED_DIR}/ nor Training_set/ or '
        'Test_set/: expected the Adobe Deep Image Matting download')


def find_coco_images(coco_root: str) -> Tuple[str, bool]:
    """Locate the COCO training images.

    Args:
        coco_root: COCO folder containing ``train2014/`` or ``train2017/``.

    Returns:
        tuple: The image folder and whether its names lack the
        ``COCO_train2014_`` prefix the DIM name lists use (COCO 2017).

    Raises:
        FileNotFoundError: Neither folder exists.
    """
    for folder, strip_prefix in (('train2014', False), ('train2017', True)):
        if osp.isdir(osp.join(coco_root, folder)):
            return osp.join(coco_root, folder), strip_prefix
    raise FileNotFoundError(
        f'{coco_root} has neither train2014/ nor train2017/: expected the '
        'COCO root (training backgrounds)')


def find_voc_images(voc_root: str) -> str:
    """Locate the VOC images.

    Args:
        voc_root: ``VOCdevkit`` folder (containing ``VOC2012/JPEGImages``).

    Returns:
        str: The image folder.

    Raises:
        FileNotFoundError: The folder does not exist.
    """
    images = osp.join(voc_root, 'VOC2012', 'JPEGImages')
    if not osp.isdir(images):
        raise FileNotFoundError(
            f'{images} does not exist: expected the VOCdevkit root (test '
            'backgrounds)')
    return images


def read_names(path: str) -> List[str]:
    """The non-empty lines of a name list, stripped."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def first_existing(folders: Iterable[str], name: str) -> Optional[str]:
    """The path of ``name`` in the first of ``folders`` that has it."""
    for folder in folders:
        if osp.exists(osp.join(folder, name)):
            return osp.join(folder, name)
    return None
