"""Run pieces of work at the same time: the first in this process, the others in forked children.

A forked child starts with everything the parent has loaded and built: no interpreter start-up
and no pickling of the input. It sends its result back pickled through a pipe and ends with
`os._exit`: nothing it built is freed one object at a time. Only for a single-threaded parent
(the CLI), on a platform that forks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class ForkError(OSError):
    """The system would not start another process (a process or memory limit): none is left."""


def can_fork() -> bool:
    return hasattr(os, "fork")


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity mask, which containers narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_forked(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in order, the tasks run at the same time: the first in this process,
    each other in a forked child. (The first so needs no copy of this process's memory and
    sends nothing back.)

    An exception in a task is raised here, the first in task order; a child's carries its
    traceback as a note. `ForkError` when a child cannot be started; those already started
    are ended first.
    """
    if not tasks:
        return []
    # imported here, not at the top: linting one file never forks (`migrate lint` starts
    # faster); before the fork, so that no child imports them again
    import pickle  # noqa: F401
    import traceback  # noqa: F401

    children = _start(tasks[1:])
    try:
        here = tasks[0]()
    except BaseException:
        _end(children)
        raise
    return [here, *_collect(children)]


def _start(tasks: Sequence[Callable[[], object]]) -> list[tuple[int, int]]:
    """Fork a child for each task: (pid, the pipe its result comes through)."""
    children: list[tuple[int, int]] = []
    for task in tasks:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:
            os.close(read_end)
            os.close(write_end)
            _end(children)
            raise ForkError(
                error.errno, f"cannot start a worker process: {error.strerror}"
            ) from None
        if pid == 0:
            os.close(read_end)
            _run_child(task, write_end)
        os.close(write_end)
        children.append((pid, read_end))
    return children


def _end(children: list[tuple[int, int]]) -> None:
    import signal

    for pid, read_end in children:
        os.close(read_end)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _collect(children: list[tuple[int, int]]) -> list[Any]:
    import pickle

    outcomes: list[tuple[bool, Any] | None] = []
    try:
        for _, read_end in children:  # a child blocks on a full pipe until its turn: no deadlock
            with os.fdopen(read_end, "rb") as pipe:
                data = pipe.read()
            outcomes.append(pickle.loads(data) if data else None)  # while the others work on
    finally:  # reaped last: a child's exit frees its memory, which takes milliseconds
        statuses = [os.waitpid(pid, 0)[1] for pid, _ in children]
    results = []
    for outcome, status in zip(outcomes, statuses, strict=True):
        if outcome is None:
            raise RuntimeError(f"a worker process ended with no result (wait status {status})")
        succeeded, value = outcome
        if not succeeded:
            raise value
        results.append(value)
    return results


def _run_child(task: Callable[[], object], write_end: int) -> NoReturn:
    import pickle
    import traceback

    code = 0
    try:
        try:
            outcome: tuple[bool, object] = (True, task())
        except BaseException as error:  # sent to the parent, which raises it
            error.add_note(f"in a worker process:\n{traceback.format_exc()}")
            outcome = (False, error)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # the parent must hear of it
            data = pickle.dumps((False, RuntimeError(f"a worker's result cannot be sent: {error}")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # nothing may escape into the parent's code
        code = 1
    finally:
        os._exit(code)
