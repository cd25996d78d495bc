"""Errors an import reports to the user: they always say where and what."""

from __future__ import annotations


class IngestError(Exception):
    """A source could not be read. ``where`` names the file, URL or line."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# What converting one odd record can raise besides ``IngestError`` (a shape or value no
# parser foresaw): each importer catches these per record too, reports the record and
# goes on, so a surprise costs that record, never its batch, file or run.
RECORD_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class ArxivApiError(IngestError):
    """arXiv answered with its error feed (e.g. a malformed id)."""
