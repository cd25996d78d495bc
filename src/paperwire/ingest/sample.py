"""The bundled sample of real papers (recorded arXiv API responses, MIT; see sample/)."""

from __future__ import annotations

from pathlib import Path

from paperwire.ingest.files import import_atom_files
from paperwire.ingest.report import ImportReport
from paperwire.store import Store

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample" / "arxiv_api"


def sample_files() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("*.json"))


def load_sample(store: Store) -> ImportReport:
    """Import every sample response. The recordings include arXiv error feeds on purpose;
    those are reported in the result, not raised."""
    return import_atom_files(store, sample_files())


def load_sample_if_empty(store: Store) -> ImportReport | None:
    if store.count_papers() > 0:
        return None
    return load_sample(store)


def sample_abstracts() -> list[str]:
    """The sample's distinct abstracts, read straight from the recordings (no store):
    real text for the embedding tests and benchmark. Error feeds are skipped."""
    from paperwire.ingest.arxiv_atom import parse_atom_page, read_saved_response
    from paperwire.ingest.errors import IngestError

    texts: list[str] = []
    for path in sample_files():
        try:
            page = parse_atom_page(
                read_saved_response(path.read_bytes(), where=str(path)), where=str(path)
            )
        except IngestError:
            continue  # the sample includes recorded arXiv error feeds on purpose
        texts += [p.abstract for p in page.papers if p.abstract]
    return list(dict.fromkeys(texts))
