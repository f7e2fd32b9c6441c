"""The matting page in the browser (``indexnet-app``, ``pip install .[app]``).

Modules by job: :mod:`.guides` (trimap from strokes, an uploaded trimap or a
mask), :mod:`.matting` (one request, in ``indexnet-predict``'s words),
:mod:`.cutout` (the cut-out over a backdrop), :mod:`.page` (the Gradio page
and its queue), :mod:`.cli` (the command). Only the last two import Gradio.
"""
import os

# Gradio reads these when imported: no usage reports, no version check
# against the internet (the page must work on a machine without network).
os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
os.environ.setdefault('GRADIO_SSR_MODE', 'False')
