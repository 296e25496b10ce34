"""Command-line interface. Each module adds its commands to :data:`molva.cli.app.main`.

A command's module is imported only when that command runs (or ``--help`` lists them all), so ``molva report``
does not pay for the imports of ``crawl``, ``dashboard`` or ``analyze``.
"""

from __future__ import annotations

from molva.cli.app import main

# command name -> the module under molva.cli that defines it (checked by tests/core/test_cli.py)
COMMAND_MODULES = {
    "alerts": "alerts", "topics": "alerts",
    "analyze": "analyze", "classify": "analyze", "evaluate": "analyze", "train": "analyze",
    "brands": "brands",
    "crawl": "crawl", "run": "crawl",
    "corrections": "dashboard", "dashboard": "dashboard",
    "db": "db",
    "demo": "demo",
    "import": "imports",
    "privacy": "privacy",
    "report": "report",
    "sim": "sim",
}

# `molva --help` speaks one language (English, like click's own headings); the commands' output is Russian.
SHORT_HELP = {
    "brands": "The brand catalog: list brands, match a text.",
    "sim": "Run the local public-web simulator.",
}

main.lazy_commands = COMMAND_MODULES
main.lazy_short_help = SHORT_HELP

__all__ = ["main"]
