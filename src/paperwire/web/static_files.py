"""Static assets under /static (vendored, no CDN). Owned by issue 5."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
