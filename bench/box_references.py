"""Reference trimaps for the box guide's measurement (``bench_box.py``).

Three photographs of scikit-image's data module have no alpha, so their
reference trimaps were drawn by hand: the object's outline traced as a
polygon on the photo shown at 2-5x with a 10-20 pixel grid, each vertex
checked against the enlarged photo, then an unknown band of ``BAND`` pixels
on each side of the outline (wider than the tracing's error, which is 1-2
pixels at 5x and up to about 5 pixels in the shadow under the saucer; for
the cat, wide enough for its fur). What the object is:

* ``coffee``: the cup with its saucer and spoon;
* ``rocket``: the rocket, from its nose to where it meets the launch mount
  (y = 405), without the towers;
* ``chelsea``: the cat's head, which the photo cuts at the left, top and
  bottom (the polygon runs along those borders).

The present (matplotlib's ``Minduka_Present_Blue_Pack.png``, an RGBA
drawing) has a true alpha: it is scaled 3x and composited on a crop of
scikit-image's garage photo (the motorcycle), and its trimap is made from
the alpha as Comp-1k's test trimaps are (band of 10 pixels around the
fractional alpha).
"""
# Vertices (x, y) in the photo's pixels, clockwise.
COFFEE = [(182, 60), (197, 40), (220, 27), (260, 19), (300, 17), (340, 24),
          (360, 30), (380, 42), (392, 55), (397, 66), (405, 66), (414, 69),
          (418, 76), (416, 95), (412, 110), (422, 120), (440, 140),
          (455, 160), (466, 182), (473, 205), (478, 230), (477, 260),
          (462, 295), (440, 322), (405, 350), (360, 373), (300, 385),
          (240, 383), (180, 370), (130, 342), (97, 305), (80, 262),
          (77, 215), (80, 180), (86, 155), (98, 132), (120, 112), (140, 100),
          (173, 90)]
ROCKET = [(322, 126), (318, 130), (313, 140), (310, 152), (309, 175),
          (310, 190), (311, 200), (311, 260), (311, 330), (311, 405),
          (331, 405), (331, 330), (331, 260), (332, 200), (333, 192),
          (334, 180), (334, 155), (331, 140), (327, 130)]
CHELSEA = [(0, 0), (345, 0), (372, 0), (378, 20), (372, 50), (365, 75),
           (362, 100), (365, 125), (362, 150), (355, 175), (345, 200),
           (335, 225), (325, 245), (318, 265), (315, 300), (0, 300)]
# name -> (scikit-image data function, polygon, band in pixels)
PHOTOS = {
    'coffee': ('coffee', COFFEE, 6),
    'rocket': ('rocket', ROCKET, 3),
    'chelsea': ('chelsea', CHELSEA, 12),
}
