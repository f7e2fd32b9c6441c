"""What users give: images, trimaps, masks and the guides made from them.

:mod:`.trimap` (the three levels), :mod:`.images` (reading and validating
images and trimaps, :class:`~.images.MattingInputError`), :mod:`.folders`
(pairs by file stem), :mod:`.mask` (mask -> trimap), :mod:`.person` (the
bundled person segmenter), :mod:`.box` (a box and strokes around any
object -> trimap, by GrabCut) and :mod:`.guides` (an image with its
guide).

Imports nothing from the rest of :mod:`indexnet_plugin.apis`.
"""
