"""The one way paperwire parses XML: defusedxml, which refuses entity expansion
(billion laughs), external entities and DTD tricks instead of resolving them."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from paperwire.ingest.errors import IngestError


def parse_xml(data: bytes | str, *, where: str) -> Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise IngestError(where, "empty file, expected XML")
    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise IngestError(where, f"refused unsafe XML ({type(exc).__name__}: {exc})") from exc
    except ParseError as exc:
        line, col = exc.position
        hint = " (truncated file?)" if "no element found" in str(exc) or "unclosed" in str(exc) else ""
        raise IngestError(where, f"malformed XML at line {line}, column {col}: {exc.msg if hasattr(exc, 'msg') else exc}{hint}") from exc
