"""Configuration, from environment variables only (documented in README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./portal.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Who an import or correction is recorded as, when the command line does not say.
    actor: str = "importer"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=_normalise_url(os.environ.get("PORTAL_DATABASE_URL", DEFAULT_DATABASE_URL)),
            actor=os.environ.get("PORTAL_ACTOR") or os.environ.get("USER") or "importer",
        )


def _normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite+aiosqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None
