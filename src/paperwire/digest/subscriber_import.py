"""``paperwire subscribers import FILE.csv``: a subscriber list moved from another tool.

The file is CSV (UTF-8, a byte-order mark allowed) with a header row naming its
columns: ``email`` (required), ``frequency`` (``daily``/``weekly``, default daily),
``categories``, ``queries``, ``authors``, ``exclude`` (lists: entries separated by
``;``), and optionally ``trending`` (``yes``/``no``, ``true``/``false``, ``1``/``0``;
default yes) and ``no_announcement_note`` (the same; default no). Every value is
checked by the same parser as the API's (``subscriptions.parse_prefs``); a bad row is reported as ``FILE:LINE: field: what``
and the others are imported.

Running it again makes no duplicates: an address is one row, a row whose preferences
are already stored counts as unchanged, and changed preferences are updated. Without
``--confirmed`` each new address is pending and gets the confirmation mail; with it,
addresses are confirmed at once (the operator vouches for the list) and no mail is
sent. An address that unsubscribed is never subscribed again by an import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from paperwire.community.accounts import normalise_email
from paperwire.config import Settings
from paperwire.digest import subscriptions
from paperwire.digest.mailer import Mailer, MailError
from paperwire.errors import InvalidParameter
from paperwire.ingest.report import ImportReport
from paperwire.models import UpsertCounts
from paperwire.store import Store

COLUMNS = (
    "email",
    "frequency",
    "trending",
    "categories",
    "queries",
    "authors",
    "exclude",
    "no_announcement_note",
)
LIST_COLUMNS = ("categories", "queries", "authors", "exclude")
SEPARATOR = ";"
_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}
# A cell longer than this is no subscriber's: refused before it is parsed.
MAX_CELL = 20_000


@dataclass(slots=True, kw_only=True)
class SubscriberImportReport(ImportReport):
    """``counts``: subscriptions added, updated, unchanged (already as in the file, or
    unsubscribed and left so) and failed rows; ``mailed``: confirmation mails sent;
    ``kept_unsubscribed``: addresses the file names that had unsubscribed."""

    mailed: int = 0
    kept_unsubscribed: int = 0
    skipped = "bad rows"

    def details(self) -> dict[str, object]:
        return {"mailed": self.mailed, "kept_unsubscribed": self.kept_unsubscribed}


def _cells(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(SEPARATOR) if part.strip()]


def _flag(value: str | None, column: str, *, default: bool) -> bool:
    text = (value or "").strip().lower()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidParameter(column, f"must be yes or no, got {text[:20]!r}")


def import_subscribers(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    path: Path,
    *,
    confirmed: bool,
    now: datetime,
) -> SubscriberImportReport:
    report = SubscriberImportReport()
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        report.add_stop(f"{path}: cannot read: {exc.strerror or exc}")
        return report
    with handle, mailer.batch():
        try:
            _import_rows(
                store, mailer, settings, path, handle, report, confirmed=confirmed, now=now
            )
        except UnicodeDecodeError as exc:
            report.add_stop(f"{path}: not UTF-8 text (byte {exc.start}); stopped there")
        except csv.Error as exc:
            report.add_stop(f"{path}: not CSV: {exc}; stopped there")
    return report


def _import_rows(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    path: Path,
    handle: Iterable[str],
    report: SubscriberImportReport,
    *,
    confirmed: bool,
    now: datetime,
) -> None:
    reader = csv.DictReader(handle)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "email" not in header:
        report.add_stop(f"{path}:1: the header row names no 'email' column")
        return
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        report.add_stop(
            f"{path}:1: unknown column(s) {', '.join(repr(n[:30]) for n in unknown)}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
        return
    reader.fieldnames = header
    seen: dict[str, int] = {}
    next_line = reader.line_num + 1
    for row in reader:
        line, next_line = next_line, reader.line_num + 1  # a quoted cell may span lines
        where = f"{path}:{line}"
        if None in row:  # more cells than the header names
            report.add_error(f"{where}: more cells than the header has columns")
            continue
        try:
            if any(len(v or "") > MAX_CELL for v in row.values()):
                raise InvalidParameter("row", f"a cell is longer than {MAX_CELL} characters")
            address = normalise_email(row.get("email") or "")
            prefs = subscriptions.parse_prefs(
                frequency=(row.get("frequency") or "").strip().lower() or "daily",
                trending=_flag(row.get("trending"), "trending", default=True),
                no_announcement_note=_flag(
                    row.get("no_announcement_note"), "no_announcement_note", default=False
                ),
                **{name: _cells(row.get(name)) for name in LIST_COLUMNS},
            )
        except InvalidParameter as exc:
            report.add_error(f"{where}: {exc}")
            continue
        if address in seen:
            report.add_error(f"{where}: email: {address} is also on line {seen[address]}")
            continue
        seen[address] = line
        existing = store.subscription_by_email(address)
        if existing is not None and existing.status == "unsubscribed":
            report.kept_unsubscribed += 1
            report.counts += UpsertCounts(unchanged=1)
            continue
        if (
            existing is not None
            and existing.prefs == prefs
            and existing.pending_prefs is None
            and (existing.status == "confirmed" or not confirmed)
        ):
            report.counts += UpsertCounts(unchanged=1)
            continue
        sub, outcome = store.save_subscription(
            address, prefs, now=now, confirmed=confirmed, trusted=True, revive=False
        )
        if outcome == "created":
            report.counts += UpsertCounts(added=1)
        else:
            report.counts += UpsertCounts(updated=1)
        if outcome == "created" and not confirmed:
            try:
                subscriptions.send_confirmation(mailer, settings, sub, now=now, raise_errors=True)
            except MailError as exc:
                report.add_error(
                    f"{where}: {address} is saved as pending, but its confirmation mail was "
                    f"not sent ({exc}); it can subscribe again on the site",
                    failed=0,
                )
            else:
                report.mailed += 1
    if report.counts == UpsertCounts() and not report.errors:
        report.notes.append(f"{path}: no rows")
