"""Settings, read from the environment (prefix ``PAPERWIRE_``). Built once, passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite:///./paperwire.db",
        description="sqlite:///path/to/file.db or postgresql://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    load_sample: bool = Field(
        default=True, description="Load the bundled sample when the database is empty."
    )
    data_dir: Path = Field(
        default=Path("./data"), description="Caches (converted models, vector indexes)."
    )
    site_name: str = "paperwire"
