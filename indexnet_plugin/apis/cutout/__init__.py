"""Pictures made from an alpha: foreground colours (:mod:`.foreground`),
the RGBA cut-out, composites and previews (:mod:`.visualize`).

Imports nothing from the rest of :mod:`indexnet_plugin.apis`.
"""
