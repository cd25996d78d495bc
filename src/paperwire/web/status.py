"""JSON status of ingestion sources (GET /status). Owned by issue 3."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
