"""Decoding, prediction and encoding overlapping, in bounded memory.

A clip runs as three stages: reading (decoding the clip and its guide, and
making each trimap), predicting (the network), writing (foreground colours
and encoders). :class:`Prefetch` runs an iterator in a thread of its own and
:class:`Sink` a consumer, each behind a queue of :data:`QUEUE_DEPTH` items,
so at most a few frames are in memory whatever the clip's length, and the
stages overlap where the network leaves a core idle (PyAV, OpenCV, NumPy
and the runtimes release the GIL while they compute). An exception in any
stage stops the others and is raised in the caller's thread.
"""
import queue
import threading
from typing import Any, Callable, Iterable, Iterator

# Items waiting between two stages (each a frame with its trimap or alpha:
# about 10 MB at 1920x1080).
QUEUE_DEPTH = 3
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


class Prefetch:
    """Iterates ``items`` in a thread, a few items ahead of the consumer.

    Use it as a context manager: leaving the block stops the thread.
    """

    def __init__(self, items: Iterable, depth: int = QUEUE_DEPTH):
        self._items = items
        self._queue: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='video-read')

    def __enter__(self) -> 'Prefetch':
        self._thread.start()
        return self

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as error:  # handed to the consumer's thread
            self._put(_Failed(error))
        finally:
            close = getattr(self._items, 'close', None)
            if close is not None:
                close()  # a generator's files are closed in its own thread

    def __iter__(self) -> Iterator:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


class Sink:
    """Calls ``consume(item)`` in a thread for each :meth:`put` item.

    :meth:`put` raises the consumer's exception, if any, in the caller's
    thread; :meth:`close` waits for the last item.
    """

    def __init__(self, consume: Callable[[Any], None],
                 depth: int = QUEUE_DEPTH):
        self._consume = consume
        self._queue: queue.Queue = queue.Queue(depth)
        self._error: BaseException = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='video-write')

    def __enter__(self) -> 'Sink':
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self._error is None:
                try:
                    self._consume(item)
                except BaseException as error:  # raised in put()/close()
                    self._error = error

    def put(self, item: Any) -> None:
        """Queue an item (blocks while the queue is full)."""
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def close(self) -> None:
        """Wait until every item is consumed; raise the consumer's error."""
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def __exit__(self, *exc_info) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()


class Serial:
    """:class:`Prefetch` or :class:`Sink` without a thread: iterates
    ``items`` or calls ``consume`` in the caller's thread."""

    def __init__(self, items_or_consume):
        self._target = items_or_consume

    def __enter__(self) -> 'Serial':
        return self

    def __iter__(self) -> Iterator:
        return iter(self._target)

    def put(self, item: Any) -> None:
        self._target(item)

    def close(self) -> None:
        pass

    def __exit__(self, *exc_info) -> None:
        close = getattr(self._target, 'close', None)
        if close is not None:
            close()
