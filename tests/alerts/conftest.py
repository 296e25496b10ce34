"""Fixtures for alert tests: a committed SQLite file with its sessionmaker, settings, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from molva.settings import Settings, load_settings


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    from molva.db import make_sessionmaker

    made = make_sessionmaker(db_url)
    yield made
    made.kw["bind"].dispose()


@pytest.fixture
def settings() -> Settings:
    return load_settings()
