"""Folders of inputs: the images of a folder, and images paired with
trimaps (or masks) of another folder by file stem."""
from pathlib import Path
from typing import List, Tuple, Union

from .images import MattingInputError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def find_pairs(image_dir: Union[str, Path],
               trimap_dir: Union[str, Path],
               what: str = 'trimap'
               ) -> Tuple[List[Tuple[Path, Path]], List[str]]:
    """Match images and trimaps of two folders by file stem.

    ``images/cat.jpg`` pairs with ``trimaps/cat.png`` (any of
    :data:`IMAGE_SUFFIXES`, case-insensitive); sub-folders are not searched.

    Args:
        image_dir: Folder of images.
        trimap_dir: Folder of trimaps (or masks).
        what: How messages name the second folder's files (``'mask'``).

    Returns:
        tuple[list, list]: The (image, trimap) path pairs sorted by image
        name, and one message per image without a unique trimap.

    Raises:
        MattingInputError: A folder is missing or holds no images.
    """
    image_dir, trimap_dir = Path(image_dir), Path(trimap_dir)
    images = list_images(image_dir, 'image folder')
    trimaps = {}
    for path in list_images(trimap_dir, f'{what} folder'):
        trimaps.setdefault(path.stem, []).append(path)
    pairs, problems = [], []
    for image in images:
        candidates = trimaps.get(image.stem, [])
        if len(candidates) == 1:
            pairs.append((image, candidates[0]))
        elif not candidates:
            problems.append(f"image '{image}': no {what} named "
                            f"'{image.stem}.*' in '{trimap_dir}'")
        else:
            names = ', '.join(p.name for p in candidates)
            problems.append(f"image '{image}': several {what}s match "
                            f"({names}) in '{trimap_dir}'")
    return pairs, problems


def list_images(folder: Union[str, Path],
                what: str = 'image folder') -> List[Path]:
    """List the image files of a folder (:data:`IMAGE_SUFFIXES`, sorted),
    refusing a missing or empty one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MattingInputError(f"{what} '{folder}': not a folder")
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        suffixes = ', '.join(IMAGE_SUFFIXES)
        raise MattingInputError(
            f"{what} '{folder}': contains no images ({suffixes})")
    return files
