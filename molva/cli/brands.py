"""``molva brands``: look at the brand catalog and try the matcher on a text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from molva.cli.app import get_settings, main
from molva.fmt import group_name

if TYPE_CHECKING:
    from molva.catalog import Catalog


def _catalog(ctx: click.Context) -> Catalog:
    from molva.catalog import load_catalog

    return load_catalog(get_settings(ctx).catalog_path)


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@main.group()
def brands() -> None:
    """Каталог брендов: список и проверка поиска упоминаний."""


@brands.command("list")
@click.option("--group", "group", default=None, help="Только бренды этой группы (banks, telecom, ...).")
@click.option("--json", "as_json", is_flag=True, help="Вывести JSON.")
@click.pass_context
def list_brands(ctx: click.Context, group: str | None, as_json: bool) -> None:
    """Бренды каталога: название, группа, синонимы."""
    catalog = _catalog(ctx)
    selected = [b for b in catalog.brands if group is None or b.group == group]
    if group is not None and not selected:
        raise click.BadParameter(
            f"нет такой группы; есть: {', '.join(catalog.groups())}", param_hint="--group"
        )
    if as_json:
        data = [
            {
                "id": b.id,
                "name": b.name,
                "group": b.group,
                "aliases": list(b.aliases),
                "former_names": list(b.former_names),
                "proper_aliases": list(b.proper_aliases),
                "context_aliases": list(b.context_aliases),
                "official_accounts": {k: list(v) for k, v in b.official_accounts.items()},
            }
            for b in selected
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    rows = [(b.name, group_name(b.group), ", ".join([*b.aliases, *(f"{a} (с заглавной)" for a in b.proper_aliases),
                                                     *(f"{a} (рядом с брендом группы)" for a in b.context_aliases)]))
            for b in selected]
    click.echo(_table(rows, ("бренд", "группа", "синонимы")))
    click.echo(f"\nвсего брендов: {len(selected)}")


@brands.command("match")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Вывести JSON.")
@click.pass_context
def match_text(ctx: click.Context, text: str, as_json: bool) -> None:
    """Найти упоминания брендов в тексте TEXT."""
    matches = _catalog(ctx).match(text)
    if as_json:
        data = [
            {"brand": m.brand, "brand_id": m.brand_id, "alias": m.alias, "start": m.start, "end": m.end}
            for m in matches
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not matches:
        click.echo("упоминаний брендов не найдено")
        return
    rows = [(m.brand, f"{m.start}-{m.end}", m.alias) for m in matches]
    click.echo(_table(rows, ("бренд", "позиция", "текст")))
