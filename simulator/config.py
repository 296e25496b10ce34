"""``--write-config``: a Molva TOML config whose sources all point at a running simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.model import FEEDS
from simulator.world import World


def sources_for(world: World, base_url: str, interval: int = 60, vk_rps: float = 3.0) -> list[dict[str, Any]]:
    """One source per kind; targets cover every simulated channel, wall, query, feed, bank and tag."""
    vk_targets = [f"wall:{owner}" for owner in sorted(world.walls)] + [f"search:{q}" for q in world.vk_queries]
    kinds: list[dict[str, Any]] = [
        {"name": "telegram", "kind": "telegram", "targets": sorted(world.channels)},
        {"name": "vk", "kind": "vk", "targets": vk_targets, "options": {"rps": vk_rps}},
        {"name": "rss", "kind": "rss", "targets": list(FEEDS)},
        {"name": "reviews", "kind": "reviews",
         "targets": sorted(world.slugs) + [f"qa:{qa_id}" for qa_id in sorted(world.qa_ids)]},
        {"name": "mastodon", "kind": "mastodon", "targets": list(world.tags)},
    ]
    return [{**s, "interval": interval, "base_url": base_url} for s in kinds if s["targets"]]


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def render_config(
    world: World, base_url: str, interval: int = 60, vk_token: str = "simulator-token", vk_rps: float = 3.0
) -> str:
    lines = [
        "# Molva config written by `molva sim --write-config`: every source points at the simulator.",
        f"# Simulator: {base_url}  seed={world.seed}.",
        "# The simulator accepts any non-empty VK token (or the one given to `molva sim --vk-token`).",
        f"vk_token = {_toml_value(vk_token)}",
        "",
        "# Everything is on 127.0.0.1: a short delay between requests, politeness otherwise unchanged.",
        "[crawl]",
        "download_delay = 0.02",
        "",
    ]
    for src in sources_for(world, base_url, interval, vk_rps):
        lines.append("[[sources]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in src.items()]
        lines.append("")
    return "\n".join(lines)


def write_config(
    path: Path, world: World, base_url: str, interval: int = 60, vk_token: str = "simulator-token",
    vk_rps: float = 3.0,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(world, base_url, interval, vk_token, vk_rps), encoding="utf-8")
