"""Import saved files, one transaction per file: a bad file is reported and skipped, and
so is a bad entry in a good file (the file's other entries are stored)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from paperwire.ingest.arxiv_atom import parse_atom_page, read_saved_response
from paperwire.ingest.errors import IngestError
from paperwire.ingest.report import ImportReport
from paperwire.progress import Progress
from paperwire.store import Store


def import_atom_files(
    store: Store,
    paths: Iterable[Path],
    *,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Import saved Atom responses; ``on_progress(1)`` after each file."""
    report = ImportReport()
    for path in paths:
        where = str(path)
        try:
            raw = path.read_bytes()
            page = parse_atom_page(read_saved_response(raw, where=where), where=where)
            report.counts += store.upsert_papers(page.papers)
            for _, message in page.failures:
                report.add_error(message)
        except IngestError as exc:
            report.add_stop(str(exc), failed=1)
        except OSError as exc:
            report.add_stop(f"{where}: cannot read file ({exc.strerror or exc})", failed=1)
        if on_progress:
            on_progress(1)
    return report
