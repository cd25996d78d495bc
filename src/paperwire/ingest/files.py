"""Import saved files, one transaction per file: a bad file is reported and skipped, and
so is a bad entry in a good file (the file's other entries are stored)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from paperwire.ingest.arxiv_atom import parse_atom_page, read_saved_response
from paperwire.ingest.errors import IngestError
from paperwire.models import UpsertCounts
from paperwire.store.base import Store


@dataclass(slots=True)
class ImportReport:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {**self.counts.as_dict(), "errors": list(self.errors)}


def import_atom_files(
    store: Store,
    paths: Iterable[Path],
    *,
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    for path in paths:
        where = str(path)
        try:
            raw = path.read_bytes()
            page = parse_atom_page(read_saved_response(raw, where=where), where=where)
            report.counts += store.upsert_papers(page.papers)
            report.errors.extend(message for _, message in page.failures)
            report.counts += UpsertCounts(failed=len(page.failures))
        except IngestError as exc:
            report.errors.append(str(exc))
            report.counts += UpsertCounts(failed=1)
        except OSError as exc:
            report.errors.append(f"{where}: cannot read file ({exc.strerror or exc})")
            report.counts += UpsertCounts(failed=1)
        if on_file:
            on_file(path)
    return report
