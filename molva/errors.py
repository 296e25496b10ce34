"""Errors that reach the user as one clear message."""

from __future__ import annotations

import re
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


_VARIABLE_PARTS = re.compile(r"\S*://\S*|\d+")


def error_shape(message: str) -> str:
    """A message with its URLs and numbers removed: messages of one shape differ only in where and how many."""
    return _VARIABLE_PARTS.sub("", message)[:80]


def sample_errors(messages: list[str], limit: int) -> list[str]:
    """At most ``limit`` of ``messages``, in their order, the first of each shape before any repeat, so that a
    run with hundreds of timeouts still shows its one changed-markup error."""
    if len(messages) <= limit:
        return list(messages)
    chosen: set[int] = set()
    shapes: set[str] = set()
    for index, message in enumerate(messages):
        shape = error_shape(message)
        if shape not in shapes and len(chosen) < limit:
            shapes.add(shape)
            chosen.add(index)
    for index in range(len(messages)):
        if len(chosen) >= limit:
            break
        chosen.add(index)
    return [messages[i] for i in sorted(chosen)]
