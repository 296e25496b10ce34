"""Errors that reach the user as one clear message."""

from __future__ import annotations

from pathlib import Path


class MolvaError(Exception):
    """An error caused by the user's input or environment, shown without a traceback."""

    exit_code = 1


class UsageError(MolvaError):
    """A bad value given by the user (an option, a URL scheme): fix the command or the config."""

    exit_code = 2


class DatabaseUnavailable(MolvaError):
    """The database cannot be reached or refused the connection (a runtime failure: retrying may help)."""

    exit_code = 1


class ConfigFileError(MolvaError):
    """A broken configuration or catalog file: names the file, the line and the problem."""

    exit_code = 2

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else f"{self.path}"
        return f"{where}: {self.problem}"
