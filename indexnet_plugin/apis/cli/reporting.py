"""What ``indexnet-predict`` tells the user, and its exit statuses."""
import sys
from typing import Iterable

from tqdm import tqdm

from ..inference.chunks import FAILED, PairOutcome

EXIT_BAD_PAIRS = 1
EXIT_FATAL = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def report(message: str, kind: str = 'error') -> None:
    """One error (or warning, info) line on stderr, not mangling the
    progress bar."""
    tqdm.write(f'{kind}: {message}', file=sys.stderr)


def report_outcomes(outcomes: Iterable[PairOutcome], progress: tqdm) -> int:
    """Each outcome's lines, one progress step each; returns how many
    failed."""
    failures = 0
    for outcome in outcomes:
        for line in outcome.lines:
            tqdm.write(line, file=sys.stderr)
        failures += outcome.status == FAILED
        progress.update()
    return failures
