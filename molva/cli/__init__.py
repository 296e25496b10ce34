"""Command-line interface. Each module adds its commands to :data:`molva.cli.app.main`."""

from __future__ import annotations

import importlib

from molva.cli.app import main

_COMMAND_MODULES = ("db", "brands", "report", "analyze", "crawl", "sim", "alerts", "dashboard", "demo", "privacy",
                    "imports")

for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"molva.cli.{_name}")
    except ModuleNotFoundError as exc:  # a stage's CLI module not written yet
        if exc.name != f"molva.cli.{_name}":
            raise
        continue

# `molva --help` speaks one language (English, like click's own headings); the commands' output is Russian.
_SHORT_HELP = {
    "brands": "The brand catalog: list brands, match a text.",
    "sim": "Run the local public-web simulator.",
}
for _name, _text in _SHORT_HELP.items():
    if _name in main.commands:
        main.commands[_name].short_help = _text

__all__ = ["main"]
