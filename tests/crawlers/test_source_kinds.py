"""A source kind from a third-party package: defined here, registered through the ``molva.sources`` entry
points of a distribution that exists only in a temporary folder (no core file touched, nothing installed),
then configured, validated, simulated and crawled like Molva's own kinds."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sim_crawl import crawl_env, run_crawl
from sqlalchemy import select

from molva import sources
from molva.catalog import CatalogError, load_catalog
from molva.db import make_sessionmaker
from molva.errors import ConfigFileError
from molva.models import BrandMention, Mention, OfficialReply
from molva.settings import load_settings

PLUGIN = '''
"""A forum whose boards list topics as JSON; the brand's support account answers in them."""
from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crawlers.spiders.base import MolvaSpider
from molva.ingest import MentionData, ReplyData
from molva.sources import SourceKind


class ForumOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page_size: int = Field(20, ge=1, le=100)


class ForumSpider(MolvaSpider):
    name = "forum"
    kind = "forum"

    async def start(self):
        for board in self.targets:
            url = f"{self.base_url}/forum/{board}.json?limit={self.options['page_size']}"
            yield self.request(url, self.parse_board, board)

    def parse_board(self, response):
        board = response.meta["target"]
        self.page_ok()
        for topic in json.loads(response.text)["topics"]:
            ext = f"{board}/{topic['id']}"
            if ext not in self.known_ids:
                yield MentionData(kind="forum", external_id=ext, url=topic["url"], text=topic["text"],
                                  published_at=datetime.fromisoformat(topic["created"]), author=topic["user"],
                                  addressed_accounts=sorted(self.official_accounts))
            for answer in topic.get("answers", []):
                if answer["user"].lower() in self.official_accounts:
                    yield ReplyData(kind="forum", parent_external_id=ext, account=answer["user"],
                                    reply_external_id=f"{ext}/{answer['id']}",
                                    replied_at=datetime.fromisoformat(answer["created"]), text=answer["text"])
        self.finish_target(board, "end")


TOPICS = {"banks": [
    {"id": 1, "user": "olga", "created": "2025-03-01T10:00:00+00:00", "url": "https://forum.example/t/1",
     "text": "Тестбанк второй день не переводит деньги",
     "answers": [{"id": 11, "user": "testbank_help", "created": "2025-03-01T10:30:00+00:00", "text": "Проверим!"},
                 {"id": 12, "user": "ivan", "created": "2025-03-01T10:40:00+00:00", "text": "И у меня"}]},
    {"id": 2, "user": "petr", "created": "2025-03-01T11:00:00+00:00", "url": "https://forum.example/t/2",
     "text": "Открыл вклад в Тестбанке, всё быстро", "answers": []},
]}


def simulate(world, path, params, now, base_url):
    if not path.startswith("/forum/"):
        return None
    board = path[len("/forum/"):].removesuffix(".json")
    if board not in TOPICS:
        return 404, json.dumps({"error": "no such board"}), "application/json"
    return 200, json.dumps({"topics": TOPICS[board]}, ensure_ascii=False), "application/json; charset=utf-8"


SOURCE = SourceKind(name="forum", title="Форум", spider="molva_forum_plugin:ForumSpider",
                    default_base_url="https://forum.example", options=ForumOptions,
                    account_pattern=r"[a-z0-9_]+", account_hint="a forum user name",
                    politeness={"DOWNLOAD_DELAY": 0}, simulator="molva_forum_plugin:simulate")
'''

CATALOG = '''
[[brand]]
id = "testbank"
name = "Тестбанк"
group = "banks"
aliases = ["Тестбанка", "Тестбанке"]
[brand.official_accounts]
forum = ["testbank_help"]
'''


def install_plugin(folder: Path) -> Path:
    """A distribution in ``folder`` as pip would leave it: the module and its entry points metadata."""
    (folder / "molva_forum_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = folder / "molva_forum_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: molva-forum-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[molva.sources]\nforum = molva_forum_plugin:SOURCE\n")
    return folder


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    yield install_plugin(folder)
    sys.modules.pop("molva_forum_plugin", None)
    sources.reload()  # the kinds are read again (without the plugin) on next use


def test_a_kind_from_entry_points_is_configured_validated_and_simulated(
        plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "forum" not in sources.kinds()
    monkeypatch.syspath_prepend(str(plugin))
    sources.reload()
    kind = sources.get("forum")
    assert kind.title == "Форум" and "forum" in sources.kinds() and "vk" in sources.kinds()

    config = tmp_path / "molva.toml"
    config.write_text('[[sources]]\nname = "forum"\nkind = "forum"\ntargets = ["banks"]\n', encoding="utf-8")
    source = load_settings(config).sources[0]
    assert source.options == {"page_size": 20}  # the kind's defaults
    assert source.effective_base_url == "https://forum.example"
    config.write_text('[[sources]]\nname = "forum"\nkind = "forum"\ntargets = ["banks"]\n'
                      "options = {page_size = 0}\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match="page_size"):
        load_settings(config)

    catalog_path = tmp_path / "brands.toml"
    catalog_path.write_text(CATALOG, encoding="utf-8")
    catalog = load_catalog(catalog_path)
    brand = catalog.official_brand("forum", "TestBank_Help")
    assert brand is not None and brand.name == "Тестбанк"
    catalog_path.write_text(CATALOG.replace('"testbank_help"', '"Test Bank"'), encoding="utf-8")
    with pytest.raises(CatalogError, match="forum"):
        load_catalog(catalog_path)

    from crawlers.spiders import spider_for
    from simulator.server import SimServer
    from simulator.world import build_world

    assert spider_for("forum").__name__ == "ForumSpider"
    import httpx

    with SimServer(build_world(seed=1, days=1, posts_per_day=5)) as sim:
        topics = httpx.get(f"{sim.base_url}/forum/banks.json").json()["topics"]
        assert [t["id"] for t in topics] == [1, 2]
        assert httpx.get(f"{sim.base_url}/forum/none.json").status_code == 404


@pytest.mark.timeout(240)
def test_a_kind_from_entry_points_is_crawled(plugin: Path, tmp_path: Path, db_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(plugin))
    sources.reload()
    from simulator.server import SimServer
    from simulator.world import build_world

    catalog_path = tmp_path / "brands.toml"
    catalog_path.write_text(CATALOG, encoding="utf-8")
    with SimServer(build_world(seed=1, days=1, posts_per_day=5)) as sim:
        config = tmp_path / "molva.toml"
        config.write_text(f'catalog_path = "{catalog_path}"\n[[sources]]\nname = "forum"\nkind = "forum"\n'
                          f'targets = ["banks"]\nbase_url = "{sim.base_url}"\noptions = {{page_size = 10}}\n',
                          encoding="utf-8")
        env = crawl_env(config, db_url)
        env["PYTHONPATH"] = f"{plugin}:{env['PYTHONPATH']}"  # the plugin "installed" for the crawl process
        done = run_crawl(env, "forum")
        assert done.returncode == 0, done.stdout + done.stderr
        again = run_crawl(env, "forum")
        assert again.returncode == 0 and "новых 0" in again.stdout, again.stdout
    with make_sessionmaker(db_url)() as session:
        assert sorted(session.scalars(select(Mention.external_id))) == ["banks/1", "banks/2"]
        assert {(b.brand, b.addressed) for b in session.scalars(select(BrandMention))} == {("Тестбанк", True)}
        (reply,) = session.scalars(select(OfficialReply)).all()
        assert reply.brand == "Тестбанк" and reply.reply_external_id == "banks/1/11"


def test_register_in_process_and_bad_kinds(tmp_path: Path) -> None:
    kind = sources.SourceKind(name="board", spider="crawlers.spiders.rss:RssSpider", default_base_url="https://b.example")
    sources.register(kind)
    try:
        config = tmp_path / "molva.toml"
        config.write_text('[[sources]]\nname = "b"\nkind = "board"\ntargets = ["x"]\noptions = {any = 1}\n',
                          encoding="utf-8")
        source = load_settings(config).sources[0]
        assert source.effective_base_url == "https://b.example" and source.options == {"any": 1}
    finally:
        sources.unregister("board")
    with pytest.raises(ConfigFileError, match="unknown source kind 'board'"):
        load_settings(config)
    with pytest.raises(ValueError, match="lower-case"):
        sources.SourceKind(name="Bad Kind", spider="m:C")
    with pytest.raises(ValueError, match="module:Class"):
        sources.SourceKind(name="bad", spider="m.C")
