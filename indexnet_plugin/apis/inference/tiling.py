"""Running a network on overlapping tiles of an input too large for memory.

An input whose whole-image inference would exceed the memory budget
(:mod:`.memory`) runs in the fewest overlapping tiles of at most
``tile_size`` pixels a side, blended with squared ramps; tiles without
unknown pixels are skipped, since known pixels are overwritten from the
trimap afterwards.
"""
import math
from typing import List, NamedTuple, Tuple

import torch

from ..runtimes.base import Network

# Inputs above the memory budget run in overlapping tiles of at most
# 1280x1280 (2048x2048: four of 1152x1152), or smaller ones if the budget
# needs them (see bench/bench_inference.py and bench/bench_tiling.py).
DEFAULT_TILE_SIZE = 1280
DEFAULT_TILE_OVERLAP = 256


class TileGrid(NamedTuple):
    """Tile sides and start offsets covering an input."""
    height: int
    tops: List[int]
    width: int
    lefts: List[int]

    @property
    def count(self) -> int:
        """Number of tiles."""
        return len(self.tops) * len(self.lefts)


def tile_ramp(length: int, overlap: int) -> torch.Tensor:
    """Blending weights along one tile side: squared ramps over the overlap.

    A tile's prediction is worst at its edges, where the network lacks
    context; squaring the linear ramp moves weight from the edge to the
    inside of the overlap. Tiled-vs-whole SAD with the demo model after 200
    iterations (bench/bench_tiling.py, linear -> squared): 1.29 -> 1.07 on
    the synthetic test set in 256-pixel tiles overlapping by 64, 1.43 ->
    1.10 (largest difference 8 -> 6 levels) on a 1452x1852 image in
    1280-pixel tiles overlapping by 256. Positive everywhere, so a pixel
    covered by a single tile keeps that tile's value.
    """
    position = torch.arange(length, dtype=torch.float32)
    ramp = torch.minimum(position + 1, length - position) / (overlap + 1)
    return ramp.clamp(max=1.0)**2


def tile_layout(length: int, tile: int, overlap: int,
                divisor: int) -> Tuple[int, List[int]]:
    """Tile side and start offsets covering ``length`` with few tiles.

    The fewest tiles of at most ``tile`` pixels that overlap by at least
    ``overlap``, each shrunk to the smallest multiple of ``divisor`` that
    still does: less work and memory than full-size tiles (2048 pixels with
    1280-pixel tiles: two of 1152).
    """
    if length <= tile:
        return length, [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    side = min(tile,
               math.ceil((length + (count - 1) * overlap) / count / divisor) *
               divisor)
    step = (length - side) / (count - 1)
    return side, [round(i * step) for i in range(count)]


def tile_grid(height: int, width: int, tile: int, overlap: int,
              divisor: int) -> TileGrid:
    """The tiles covering a (height, width) input, see :func:`tile_layout`."""
    return TileGrid(*tile_layout(height, tile, overlap, divisor),
                    *tile_layout(width, tile, overlap, divisor))


def run_tiled(network: Network, inputs: torch.Tensor, grid: TileGrid,
              overlap: int, foreground: float) -> torch.Tensor:
    """Blend the network's predictions of overlapping tiles.

    Args:
        network: (N, 4, h, w) -> (N, 1, h, w).
        inputs: One network input (1, 4, H, W); channel 3 is the trimap.
        grid: Tiles covering (H, W), see :func:`tile_grid`.
        overlap: Overlap of neighbouring tiles the ramps blend over.
        foreground: The trimap channel's value of known foreground (known
            background is 0).

    Returns:
        Tensor: The blended raw alpha (1, 1, H, W); 0 where no tile ran.
    """
    height, width = inputs.shape[-2:]
    weight = (tile_ramp(grid.height, overlap)[:, None] *
              tile_ramp(grid.width, overlap)[None]).to(inputs.device)
    total = inputs.new_zeros(height, width)
    weights = inputs.new_zeros(height, width)
    trimap = inputs[0, 3]
    for top in grid.tops:
        for left in grid.lefts:
            rows = slice(top, top + grid.height)
            cols = slice(left, left + grid.width)
            known = trimap[rows, cols]
            # Known pixels are overwritten from the trimap afterwards, so a
            # tile without unknown pixels contributes nothing.
            if bool(((known == 0) | (known == foreground)).all()):
                continue
            alpha = network(inputs[..., rows, cols])[0, 0]
            total[rows, cols] += alpha * weight
            weights[rows, cols] += weight
    return (total / weights.clamp(min=1e-12))[None, None]
