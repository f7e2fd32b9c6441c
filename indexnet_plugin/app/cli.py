"""``indexnet-app``: the matting page, served on this machine.

::

    indexnet-app --checkpoint indexnet.pth            # http://127.0.0.1:7860
    indexnet-app --checkpoint indexnet.pth --concurrency auto --port 8000

The model loads once, as ``indexnet-predict`` loads it (the fast predictor,
the memory budget, tiles for larger images). Predictions queue and run
``--concurrency`` at a time (default 1); the memory budget is shared
between them, so two large images at once never need more than one would
alone, and ``auto`` runs as many as the budget holds each with a whole
``DEFAULT_TILE_SIZE`` square tile. The server binds 127.0.0.1 unless told
otherwise, makes no share link, sends no analytics and loads nothing from
the internet.
"""
import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Optional, Sequence

from ..apis import (CheckpointError, MattingInputError,
                    TiledInferenceWarning, init_predictor)
from ..apis.inference.memory import (BYTES_PER_PIXEL, FIXED_BYTES, GB,
                                     budget_bytes)
from ..apis.inference.tiling import DEFAULT_TILE_SIZE
from ..configs import DEFAULT_CONFIG

EXIT_FATAL = 2
# The most predictions ``auto`` runs at once: each uses every core.
MAX_AUTO_CONCURRENCY = os.cpu_count() or 1
LOCAL_CHECK_TIMEOUT = 60  # seconds, see patient_local_check
# Gradio's check returns at once on a refused connection: wait between tries.
LOCAL_CHECK_INTERVAL = 0.5  # seconds


def _concurrency(text: str):
    """An argparse type: a positive int or ``auto``."""
    if text == 'auto' or (text.isdigit() and int(text) >= 1):
        return text if text == 'auto' else int(text)
    raise argparse.ArgumentTypeError(
        f"expected a positive number or 'auto', got {text!r}")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog='indexnet-app',
        description='Serve the matting page: upload an image, draw or '
        'upload its trimap (or a mask), download the alpha and cut-out.')
    parser.add_argument(
        '--checkpoint', required=True, help='weights: path or http(s) URL')
    parser.add_argument(
        '--config',
        help='model config: a file or a packaged config name (default: '
        f'{DEFAULT_CONFIG})')
    parser.add_argument('--device', default='cpu', help='torch device')
    parser.add_argument(
        '--max-memory', type=float, metavar='GB',
        help='memory budget of all predictions running at once (default: '
        'as indexnet-predict)')
    parser.add_argument(
        '--concurrency', type=_concurrency, default=1, metavar='N|auto',
        help='predictions running at once, the others wait in the queue '
        '(default: 1; auto: as many as the memory budget holds)')
    parser.add_argument(
        '--host', default='127.0.0.1',
        help='address to bind (default: 127.0.0.1, this machine only)')
    parser.add_argument('--port', type=int, default=7860)
    return parser.parse_args(argv)


def concurrency_within(budget: int) -> int:
    """How many predictions a budget of ``budget`` bytes holds when each
    must run a ``DEFAULT_TILE_SIZE`` square whole (the larger estimate of
    the two network paths), between 1 and :data:`MAX_AUTO_CONCURRENCY`."""
    one = FIXED_BYTES + max(BYTES_PER_PIXEL.values()) * DEFAULT_TILE_SIZE**2
    return max(1, min(MAX_AUTO_CONCURRENCY, budget // one))


def patient_local_check() -> None:
    """Let Gradio's check that its own server answers take a minute.

    ``launch()`` sends a HEAD request to the new server with a 3-second
    timeout and, when that fails, refuses to serve without a share link.
    On a loaded machine (measured: 2 cores at load 20) the first answer
    takes longer, so the check is retried every
    :data:`LOCAL_CHECK_INTERVAL` until :data:`LOCAL_CHECK_TIMEOUT`.
    """
    from gradio import networking
    once = networking.url_ok

    def url_ok(url: str) -> bool:
        deadline = time.monotonic() + LOCAL_CHECK_TIMEOUT
        while not once(url):
            if time.monotonic() + LOCAL_CHECK_INTERVAL > deadline:
                return False
            time.sleep(LOCAL_CHECK_INTERVAL)
        return True

    networking.url_ok = url_ok


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Load the model and serve the page until interrupted."""
    args = parse_args(argv)
    try:
        budget = budget_bytes(args.max_memory)
        concurrency = (concurrency_within(budget) if args.concurrency
                       == 'auto' else args.concurrency)
        predictor = init_predictor(
            args.config, args.checkpoint, args.device, batch_size=1,
            max_memory=budget / concurrency / GB)
    except (MattingInputError, CheckpointError, ValueError,
            OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return EXIT_FATAL
    # The page shows each tiling note itself (see matting.run).
    warnings.filterwarnings('ignore', category=TiledInferenceWarning)
    from .page import build_page  # Gradio, once the model is ready
    patient_local_check()
    served = (f'config {args.config or DEFAULT_CONFIG}, checkpoint '
              f'{Path(str(args.checkpoint)).name}; {concurrency} '
              f'prediction{"s" if concurrency > 1 else ""} at a time, '
              f'{budget / GB:.1f} GB memory budget')
    with tempfile.TemporaryDirectory(prefix='indexnet-app-') as out_root:
        page = build_page(predictor, served, Path(out_root), concurrency)
        print(f'indexnet-app: serving {served}', flush=True)
        page.launch(
            server_name=args.host, server_port=args.port, share=False,
            inbrowser=False, ssr_mode=False, show_error=False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
