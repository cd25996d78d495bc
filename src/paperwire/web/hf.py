"""Hugging Face Papers-compatible API under /hf. Owned by issue 10."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
