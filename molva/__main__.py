"""``python -m molva``: the same CLI as the ``molva`` command (the scheduler runs crawls this way)."""

from __future__ import annotations

from molva.cli import main

if __name__ == "__main__":
    main(prog_name="molva")
