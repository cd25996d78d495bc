"""How long jobs report progress, and a rich progress bar that shows it on a terminal
(silence elsewhere: pipes, CI, --json).

One convention everywhere: a long job takes ``on_progress: Progress | None`` and calls
``on_progress(n)`` each time ``n`` more units are done (bytes of the file read, records,
files, categories, papers embedded): increments, never a running total, so the caller
can hand them straight to a bar's ``advance`` or add them up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

Progress = Callable[[int], None]


class Advance(Protocol):
    def __call__(self, n: int = 1) -> None: ...


@contextmanager
def progress_over(
    total: int | None, label: str, *, enabled: bool = True, unit: str = "items"
) -> Iterator[Advance]:
    """Yield ``advance(n=1)``; draws a bar only when stderr is a terminal.

    ``unit="bytes"`` shows sizes and speed (a big file read in batches) instead of counts.
    """
    if not (enabled and sys.stderr.isatty()):

        def ignore(n: int = 1) -> None:
            return None

        yield ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    counts = [DownloadColumn(), TransferSpeedColumn()] if unit == "bytes" else [MofNCompleteColumn()]
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        *counts,
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance
