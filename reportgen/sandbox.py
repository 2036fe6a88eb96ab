"""Reading untrusted files in worker processes that may die.

A returned file is read by native code (python-calamine) that can abort the
whole process on a hostile file (an allocation of half a terabyte is not a
Python exception). So every file is read in a worker process: when a worker
dies or runs past its time, that one file gets a :class:`Died` outcome, a new
worker takes its place, and the rest of the batch goes on.

:func:`run` hands each item to ``job(item)`` in one of ``workers`` processes
and yields the outcomes in the order of the items. Workers are long-lived (one
start per batch, not per file). On POSIX a worker's address space is capped, so
that a reader that wants gigabytes fails fast instead of swapping the machine.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["Died", "run", "MEMORY_LIMIT", "TIMEOUT"]

MEMORY_LIMIT = 2 * 1024**3  # a worker's extra address space, on top of what it starts with
TIMEOUT = 120.0  # seconds for one file


@dataclass(frozen=True)
class Died:
    """The worker reading an item died (``crashed``, with its exit code) or ran out of time."""

    reason: str  # crashed | timeout
    detail: str = ""


def _cap_memory() -> None:
    try:
        import resource
    except ImportError:  # Windows: no address-space limit; the process boundary still holds
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        used = 0
    limit = used + MEMORY_LIMIT
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _quiet() -> None:
    """A dying native reader writes its last words to stderr: keep them off the office's screen."""
    if os.environ.get("REPORTGEN_DEBUG"):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _serve(conn: Connection, job: Callable[[Any], Any]) -> None:
    _cap_memory()
    _quiet()
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        if item is None:
            return
        try:
            conn.send(("ok", job(item)))
        except MemoryError:
            conn.send(("died", "MemoryError"))
        except Exception as error:  # noqa: BLE001 - the job's own failure, reported as this item's
            try:
                conn.send(("error", error))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                conn.send(("error", RuntimeError(repr(error))))


class _Worker:
    """A worker process with up to ``DEPTH`` items sent to it, read one after the other."""

    def __init__(self, context, job: Callable[[Any], Any]):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, job), daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[int] = deque()  # the items sent, in order; the first is being read
        self.started = 0.0  # when the first item of the queue began

    def give(self, index: int, item: Any) -> None:
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append(index)
        try:
            self.conn.send(item)
        except OSError:  # it died while reading the one before: noticed, and its items requeued, below
            pass

    def took(self) -> int:
        """The item whose result just arrived; the next one starts now."""
        self.started = time.monotonic()
        return self.queue.popleft()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


DEPTH = 2  # items in flight per worker: the next file is read while the last one is stored


def run(
    job: Callable[[Any], Any], items: Sequence[Any], workers: int = 1, timeout: float = TIMEOUT
) -> Iterator[Any | Died]:
    """``job(item)`` for every item, in worker processes; outcomes in the order of ``items``.

    An exception raised by ``job`` is re-raised here (the job should turn its own failures
    into results); a worker that dies or passes ``timeout`` on an item gives that item
    :class:`Died`, and the items queued behind it are given to a new worker.
    """
    if not items:
        return
    context = multiprocessing.get_context()
    pending = deque(range(len(items)))
    done: dict[int, Any] = {}
    pool = [_Worker(context, job) for _ in range(max(1, min(workers, len(items))))]
    following = 0
    try:
        while following < len(items):
            for worker in pool:
                while len(worker.queue) < DEPTH and pending:
                    index = pending.popleft()
                    worker.give(index, items[index])
            busy = [w for w in pool if w.queue]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for position, worker in enumerate(pool):
                while worker.queue:
                    outcome = _outcome(worker, ready, timeout)
                    if outcome is None:
                        break
                    done[worker.took()] = outcome
                    if isinstance(outcome, Died):
                        pending.extendleft(reversed(worker.queue))  # the others were never read
                        worker.queue.clear()
                        worker.kill()
                        pool[position] = worker = _Worker(context, job)
                        break
            while following in done:
                outcome = done.pop(following)
                following += 1
                if isinstance(outcome, BaseException):
                    raise outcome
                yield outcome
    finally:
        for worker in pool:
            if worker.queue:
                worker.kill()
            else:
                worker.stop()


def _outcome(worker: _Worker, ready: list, timeout: float) -> Any | Died | None:
    """What the worker has to say about its first item now: its result, its death, or None."""
    if worker.conn.poll():
        try:
            kind, value = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            return Died("crashed", _exit(worker))
        if kind == "died":
            return Died("crashed", str(value))
        return value  # a result, or the job's exception (re-raised in order)
    if worker.process.sentinel in ready or not worker.process.is_alive():
        worker.process.join(timeout=5)
        return Died("crashed", _exit(worker))
    if time.monotonic() - worker.started > timeout:
        return Died("timeout", f"{timeout:g}")
    return None


def _exit(worker: _Worker) -> str:
    code = worker.process.exitcode
    if code is None:
        return "không rõ"
    return f"mã thoát {code}" if code >= 0 else f"tín hiệu {-code}"
