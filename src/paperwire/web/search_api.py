"""Search JSON API (/api/search, /api/papers/{id}/similar). Owned by issue 4. Registered before api.py so its routes win over /api/papers/{id:path}."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
