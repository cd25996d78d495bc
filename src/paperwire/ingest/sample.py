"""The bundled sample of real papers (recorded arXiv API responses, MIT; see sample/)."""

from __future__ import annotations

from pathlib import Path

from paperwire.ingest.files import ImportReport, import_atom_files
from paperwire.store.base import Store

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
