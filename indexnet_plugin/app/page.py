"""The Gradio page: upload, guide, one button, results and downloads.

Layout, left to right: the inputs (image, guide source, canvas, trimap,
mask, band width) and the results (messages, trimap used, alpha, cut-out
over a chosen backdrop, downloads). Two events run predictions, both in one
queue (``concurrency_id``) of at most ``concurrency`` at a time:

* the button (``api_name='matte'``), with every control of the page;
* ``api_name='predict'``: (image file, trimap file) -> (alpha PNG, RGBA
  PNG, trimap PNG), for ``gradio_client``; a bad input is a ``gr.Error``
  with the command's ``error: ...`` line.

The work is :func:`.matting.run`; this module only converts between Gradio's
values (RGB arrays, file paths) and it.
"""
from pathlib import Path
from types import SimpleNamespace
from typing import Optional

import cv2
import gradio as gr
import numpy as np

from ..apis import (MattingInputError, MattingPredictor,
                    SegmenterNotInstalledError)
from ..apis.inputs.box import format_box
from ..apis.inputs.mask import MIN_UNKNOWN_WIDTH, UNKNOWN_WIDTH_FRACTION
from ..apis.cutout.visualize import composite
from . import cutout
from .guides import (BOX_COLOUR, BRUSHES, SOURCES, GuideInputs, box_start,
                     brush_colour, start_trimap)
from .matting import MattingResult, RequestError, named, run

QUEUE = 'matting'
MAX_BAND = 100  # pixels, the slider's end
# The fill button's message: the start is the person's trimap from now on.
FILLED = ('the drawing starts from the automatic person mask; paint over it '
          'or predict')
# The box fill button's message.
FILLED_BOX = ('the drawing starts from the trimap of the object in box {}; '
              'paint over it or predict')
# How much of the starting trimap shows through the image on the canvas.
START_TINT = 0.5


def _path(value: Optional[str]) -> Optional[Path]:
    return None if value is None else Path(value)


def _rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., ::-1])


def _inputs(image, trimap, mask, band, start_from_mask, canvas=None,
            start_from_person=False, start_box=None) -> GuideInputs:
    """The page's values as :class:`~.guides.GuideInputs`; ``start_box``:
    the box fill's (box, scribbles), or None."""
    strokes = [] if canvas is None else list(canvas.get('layers') or [])
    box, scribbles = start_box or (None, None)
    return GuideInputs(
        image=Path(image),
        trimap=_path(trimap),
        mask=_path(mask),
        unknown_width=int(band) or None,
        strokes=strokes,
        start_from_mask=bool(start_from_mask),
        start_from_person=bool(start_from_person),
        start_box=box,
        start_scribbles=scribbles)


def canvas_start(predictor, image, mask, band, start_from_mask,
                 start_from_person=False, start_box=None):
    """The canvas for a new image or start: the image, tinted by the
    trimap drawing starts from (the mask's, the person's or the box's); no
    strokes."""
    if image is None:
        return None, ''
    inputs = _inputs(image, None, mask, band, start_from_mask,
                     start_from_person=start_from_person,
                     start_box=start_box)
    try:
        picture, trimap = start_trimap(predictor, inputs)
    except (MattingInputError, SegmenterNotInstalledError) as error:
        return None, f'error: {named(str(error), (inputs.image, inputs.mask))}'
    if start_from_mask or start_from_person or start_box:
        grey = cv2.cvtColor(trimap, cv2.COLOR_GRAY2BGR)
        picture = cv2.addWeighted(picture, 1 - START_TINT, grey, START_TINT,
                                  0)
    rgba = cv2.cvtColor(picture, cv2.COLOR_BGR2RGBA)
    return dict(background=rgba, layers=[], composite=None), ''


class Handlers:
    """What the page's events call, bound to the served predictor.

    Args:
        predictor: The served predictor (shared by every request).
        out_root: Folder for the requests' PNG files.
    """

    def __init__(self, predictor: MattingPredictor, out_root: Path):
        self.predictor = predictor
        self.out_root = out_root

    def matte(self, image, source, canvas, trimap, mask, band,
              start_from_mask, start_from_person, start_box, estimate, kind,
              colour, picture, progress=gr.Progress()):
        """The button: messages, trimap used, alpha, cut-out view,
        downloads and the result (kept for recompositing)."""
        if image is None:
            return ('error: upload an image', None, None, None, None, None)
        try:
            result = run(
                self.predictor, source,
                _inputs(image, trimap, mask, band, start_from_mask, canvas,
                        start_from_person, start_box),
                self.out_root, estimate,
                lambda share, what: progress(share, desc=what))
        except RequestError as error:
            return str(error), None, None, None, None, None
        files = [str(result.files[k]) for k in ('alpha', 'rgba', 'trimap')]
        return ('\n'.join(result.notes) or 'done', result.trimap,
                result.alpha, _view(result, kind, colour, picture), files,
                result)

    def predict(self, image, trimap):
        """``api_name='predict'``: the alpha, RGBA and trimap PNG files."""
        if image is None or trimap is None:
            raise gr.Error('error: give an image file and a trimap file')
        try:
            result = run(self.predictor, 'trimap',
                         GuideInputs(Path(image), Path(trimap)),
                         self.out_root)
        except RequestError as error:
            raise gr.Error(str(error)) from None
        return tuple(str(result.files[k])
                     for k in ('alpha', 'rgba', 'trimap'))

    def restart(self, image, mask, band, start_from_mask):
        """A new image, mask or start: the canvas from it, the person's and
        the box's starts dropped."""
        return (*canvas_start(self.predictor, image, mask, band,
                              start_from_mask), False, None)

    def fill_from_person(self, image, mask, band):
        """The person fill button: the canvas starts from the automatic
        person mask's trimap, for the draw guide."""
        if image is None:
            return None, 'error: upload an image', False, None, 'draw'
        start, message = canvas_start(self.predictor, image, mask, band,
                                      False, True)
        if start is None:
            return start, message, False, None, 'draw'
        return start, FILLED, True, None, 'draw'

    def fill_from_box(self, image, canvas, band):
        """The box fill button: the canvas starts from the trimap of the
        object in the box painted in red, refined by the strokes. Returns
        the canvas, the message, the person's start (dropped), the box's
        start (box, scribbles) and the guide source; on an error the
        canvas keeps its strokes."""
        if image is None:
            return gr.update(), 'error: upload an image', False, None, 'draw'
        try:
            start = box_start(_inputs(image, None, None, band, False, canvas))
        except MattingInputError as error:
            message = f'error: {named(str(error), (Path(image), ))}'
            return gr.update(), message, False, None, 'draw'
        value, message = canvas_start(self.predictor, image, None, band,
                                      False, start_box=start)
        if value is None:
            return gr.update(), message, False, None, 'draw'
        return (value, FILLED_BOX.format(format_box(start[0])), False, start,
                'draw')

    @staticmethod
    def recomposite(result, kind, colour, picture):
        """A new backdrop: the last cut-out over it."""
        return None if result is None else _view(result, kind, colour,
                                                 picture)


def _view(result: MattingResult, kind, colour, picture) -> np.ndarray:
    """The cut-out over the chosen backdrop, RGB."""
    if picture is not None:
        picture = np.ascontiguousarray(picture[..., 2::-1])
    height, width = result.alpha.shape
    behind = cutout.backdrop(kind, height, width, colour, picture)
    return _rgb(composite(result.colours, result.alpha, behind))


def _guide_column() -> SimpleNamespace:
    """The inputs: image, guide source, canvas and its starts, trimap,
    mask, band width, the button."""
    levels = list(BRUSHES.values())
    column = SimpleNamespace()
    column.image = gr.File(label='Image', file_types=['image'],
                           elem_id='image')
    column.source = gr.Radio(list(SOURCES), value='draw', label='Guide',
                             elem_id='source')
    column.canvas = gr.ImageEditor(
        label='Draw: white = foreground, black = background, grey = '
        'unknown, red = the box around an object (for the box guide or its '
        'fill); the eraser gives back the start',
        type='numpy', image_mode='RGBA', sources=(), transforms=(),
        layers=False, format='png',
        brush=gr.Brush(colors=[brush_colour(v) for v in levels] +
                       [f'rgb{BOX_COLOUR}'],
                       default_color=brush_colour(levels[0]),
                       color_mode='fixed'),
        eraser=gr.Eraser(), elem_id='canvas')
    column.start_from_mask = gr.Checkbox(
        label='Start drawing from the mask (else all unknown)',
        elem_id='start_from_mask')
    column.fill_person = gr.Button(
        'Fill the trimap editor from an automatic person mask',
        elem_id='fill_person')
    column.fill_box = gr.Button(
        'Fill the trimap editor from the box (red) and strokes',
        elem_id='fill_box')
    column.start_from_person = gr.State(False)
    column.start_box = gr.State(None)
    with gr.Row():
        column.trimap = gr.File(label='Trimap (0 / 128 / 255)',
                                file_types=['image'], elem_id='trimap')
        column.mask = gr.File(label='Mask (binary or soft)',
                              file_types=['image'], elem_id='mask')
    column.band = gr.Slider(
        0, MAX_BAND, value=0, step=1,
        label='Mask: unknown band, pixels on each side of the outline (0: '
        f"{UNKNOWN_WIDTH_FRACTION:.0%} of the object's size, at least "
        f'{MIN_UNKNOWN_WIDTH})',
        elem_id='band')
    column.button = gr.Button('Predict alpha matte', variant='primary',
                              elem_id='run')
    return column


def _result_column() -> SimpleNamespace:
    """The results: messages, trimap used, alpha, cut-out over a backdrop,
    downloads."""
    column = SimpleNamespace()
    column.messages = gr.Textbox(label='Messages', interactive=False,
                                 elem_id='messages')
    with gr.Row():
        column.trimap_used = gr.Image(label='Trimap used', format='png',
                                      interactive=False,
                                      elem_id='trimap_used')
        column.alpha = gr.Image(label='Alpha', format='png',
                                interactive=False, elem_id='alpha')
    column.view = gr.Image(label='Cut-out', format='png', interactive=False,
                           elem_id='cutout')
    column.estimate = gr.Checkbox(
        value=True, label="Estimate foreground colours (else the image's "
        'own)', elem_id='estimate')
    with gr.Row():
        column.kind = gr.Radio(list(cutout.BACKDROPS), value='checkerboard',
                               label='Backdrop', elem_id='backdrop')
        column.colour = gr.ColorPicker(value='#00b140',
                                       label='Backdrop colour')
    column.picture = gr.Image(label='Backdrop picture', type='numpy',
                              sources=['upload'], height=160)
    column.downloads = gr.File(
        label='Downloads: alpha, RGBA cut-out, trimap (PNG)',
        file_count='multiple', interactive=False, elem_id='downloads')
    return column


def _connect(handlers: Handlers, guide: SimpleNamespace,
             result: SimpleNamespace, concurrency: int) -> None:
    """Wire the page's events; the two predictions share one queue."""
    starts = [guide.start_from_person, guide.start_box]
    for trigger in (guide.image.change, guide.mask.change,
                    guide.start_from_mask.change):
        trigger(handlers.restart,
                [guide.image, guide.mask, guide.band, guide.start_from_mask],
                [guide.canvas, result.messages, *starts], queue=False)
    guide.fill_person.click(
        handlers.fill_from_person, [guide.image, guide.mask, guide.band],
        [guide.canvas, result.messages, *starts, guide.source], queue=False)
    guide.fill_box.click(
        handlers.fill_from_box, [guide.image, guide.canvas, guide.band],
        [guide.canvas, result.messages, *starts, guide.source], queue=False)
    last = gr.State()
    guide.button.click(
        handlers.matte,
        [guide.image, guide.source, guide.canvas, guide.trimap, guide.mask,
         guide.band, guide.start_from_mask, *starts, result.estimate,
         result.kind, result.colour, result.picture],
        [result.messages, result.trimap_used, result.alpha, result.view,
         result.downloads, last],
        api_name='matte', concurrency_id=QUEUE,
        concurrency_limit=concurrency)
    # The scripted endpoint's own (hidden) inputs and outputs.
    with gr.Row(visible=False):
        api_inputs = [gr.File(), gr.File()]
        api_outputs = [gr.File(), gr.File(), gr.File()]
        api_button = gr.Button()
    api_button.click(handlers.predict, api_inputs, api_outputs,
                     api_name='predict', concurrency_id=QUEUE,
                     concurrency_limit=concurrency)
    for trigger in (result.kind.change, result.colour.change,
                    result.picture.change):
        trigger(handlers.recomposite,
                [last, result.kind, result.colour, result.picture],
                result.view, queue=False)


def build_page(predictor: MattingPredictor, served: str, out_root: Path,
               concurrency: int = 1) -> gr.Blocks:
    """Build the page.

    Args:
        predictor: The served predictor (shared by every request).
        served: What the page says it serves (config and checkpoint).
        out_root: Folder for the requests' PNG files.
        concurrency: Predictions that may run at once; the others queue.

    Returns:
        gr.Blocks: The page, its queue set, not launched.
    """
    with gr.Blocks(title='IndexNet matting', analytics_enabled=False,
                   delete_cache=(3600, 3600)) as page:
        gr.Markdown(f'## IndexNet matting\nServing {served}.')
        with gr.Row():
            with gr.Column():
                guide = _guide_column()
            with gr.Column():
                result = _result_column()
        _connect(Handlers(predictor, out_root), guide, result, concurrency)
    page.queue(default_concurrency_limit=concurrency)
    return page
