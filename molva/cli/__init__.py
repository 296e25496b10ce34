"""Command-line interface. Each module adds its commands to :data:`molva.cli.app.main`."""

from __future__ import annotations

import importlib

from molva.cli.app import main

_COMMAND_MODULES = ("db", "brands", "report", "analyze", "crawl", "sim", "alerts", "dashboard", "demo", "imports")

for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"molva.cli.{_name}")
    except ModuleNotFoundError as exc:  # a stage's CLI module not written yet
        if exc.name != f"molva.cli.{_name}":
            raise
        continue

__all__ = ["main"]
