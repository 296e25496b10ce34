"""Source kinds: one small spec per kind, registered in one place.

A kind is a :class:`SourceKind` object: its config (an options model with validation and defaults, a
pattern for targets, the default base URL), its spider (an import path, loaded only when a crawl runs),
politeness defaults (Scrapy settings of its crawler), which accounts are official (how the catalog's
``official_accounts.<kind>`` are checked and compared) and its simulator counterpart (an import path to
a function that answers the kind's requests on the local simulator).

Kinds come from the entry-point group ``molva.sources`` (Molva's own kinds are declared in its
``pyproject.toml``, ``crawlers/kinds/*.py``), so a third party adds one from its own package::

    [project.entry-points."molva.sources"]
    forum = "molva_forum:SOURCE"

or, in-process (tests, embedding), with :func:`register`. Adding a kind touches no core file.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)

GROUP = "molva.sources"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class NoOptions(BaseModel):
    """The options of a kind that has none of its own (anything else in ``options`` is refused)."""

    model_config = ConfigDict(extra="forbid")


class LooseOptions(BaseModel):
    """Options of a kind that reads them itself (any keys accepted)."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class SourceKind:
    name: str  # the ``kind`` of a ``[[sources]]`` entry
    spider: str  # "package.module:SpiderClass" (a MolvaSpider subclass)
    title: str = ""  # shown to people (Russian)
    default_base_url: str = ""
    options: type[BaseModel] = LooseOptions  # validates ``options`` and fills defaults
    target_pattern: str | None = None  # every target must match (full match)
    target_hint: str = ""  # what a target looks like, for error messages
    politeness: dict[str, Any] = field(default_factory=dict)  # Scrapy settings of this kind's crawler
    account_pattern: str | None = None  # official account ids of the catalog must match (full match)
    account_hint: str = ""
    normalize_account: Callable[[str], str] | None = None  # compare form of an account (default: lower-case)
    simulator: str | None = None  # "package.module:function" answering (world, path, params, now) or None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"source kind name {self.name!r}: lower-case letters, digits and '_'")
        if ":" not in self.spider:
            raise ValueError(f"source kind {self.name!r}: spider must be 'module:Class', got {self.spider!r}")

    # --- config ---------------------------------------------------------------------------------

    def validate_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The options with defaults filled; ``ValueError`` naming the bad option."""
        try:
            model = self.options.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                                 for e in exc.errors())
            raise ValueError(f"options of a {self.name} source: {problems}") from None
        return model.model_dump()

    def validate_targets(self, targets: list[str]) -> None:
        if self.target_pattern is None:
            return
        bad = [t for t in targets if not re.fullmatch(self.target_pattern, t)]
        if bad:
            hint = f" (expected {self.target_hint})" if self.target_hint else ""
            raise ValueError(f"bad {self.name} target(s) {', '.join(map(repr, bad))}{hint}")

    def account_error(self, account: str) -> str | None:
        """Why ``account`` cannot be an official account of this kind (``None``: fine)."""
        if self.account_pattern is not None and not re.fullmatch(self.account_pattern, account):
            return f"{self.name}: {account!r} is not an account id{f' ({self.account_hint})' if self.account_hint else ''}"
        return None

    def account_key(self, account: str) -> str:
        account = account.strip()
        return self.normalize_account(account) if self.normalize_account else account.lower()

    # --- stages (imported lazily) ----------------------------------------------------------------

    def spider_class(self) -> Any:
        return _load(self.spider)

    def simulator_handler(self) -> Callable[..., Any] | None:
        return _load(self.simulator) if self.simulator else None


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    value: Any = importlib.import_module(module)
    for part in attr.split("."):
        value = getattr(value, part)
    return value


# --- the registry ---------------------------------------------------------------------------------

_registered: dict[str, SourceKind] = {}
_loaded: dict[str, SourceKind] | None = None
_lock = threading.Lock()

# Molva's own kinds live in this package (one module each, ``SOURCE``); they are read from it too, for a
# checkout whose package metadata predates its entry points (not installed again).
BUILTIN_PACKAGE = "crawlers.kinds"


def _builtin() -> dict[str, str]:
    try:
        package = importlib.import_module(BUILTIN_PACKAGE)
    except ImportError:  # a core-only install: no crawlers package
        return {}
    return {info.name: f"{BUILTIN_PACKAGE}.{info.name}:SOURCE"
            for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")}


def register(kind: SourceKind) -> SourceKind:
    """Add (or replace) a kind in this process, without an installed distribution."""
    with _lock:
        _registered[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def reload() -> None:
    """Forget the kinds read from entry points (read again on next use)."""
    global _loaded
    with _lock:
        _loaded = None


def _from_entry_points() -> dict[str, SourceKind]:
    found: dict[str, SourceKind] = {}
    for ep in entry_points(group=GROUP):
        try:
            value = ep.load()
            kind = value() if callable(value) and not isinstance(value, SourceKind) else value
        except Exception as exc:  # a broken plugin must not break the other kinds
            log.error("source kind %r (%s) could not be loaded: %s", ep.name, ep.value, exc)
            continue
        if not isinstance(kind, SourceKind):
            log.error("entry point %r of %s is not a molva.sources.SourceKind", ep.name, GROUP)
            continue
        found[kind.name] = kind
    for name, path in _builtin().items():
        if name not in found:
            try:
                kind = _load(path)
            except (ImportError, AttributeError) as exc:
                log.error("built-in source kind %r could not be loaded: %s", name, exc)
                continue
            if isinstance(kind, SourceKind):
                found[kind.name] = kind
    return found


def kinds() -> dict[str, SourceKind]:
    """Every known kind by name: entry points, then those registered in-process."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _from_entry_points()
        return {**_loaded, **_registered}


def get(name: str) -> SourceKind:
    """The kind called ``name``; ``KeyError`` with the known ones."""
    known = kinds()
    if name not in known:
        raise KeyError(f"unknown source kind {name!r} (known: {', '.join(sorted(known))})")
    return known[name]
