"""Molva's own source kinds, one module each (a :class:`molva.sources.SourceKind` called ``SOURCE``),
registered through the ``molva.sources`` entry points of ``pyproject.toml``. Nothing here imports Scrapy:
the spiders and simulator counterparts are import paths, loaded when used."""
