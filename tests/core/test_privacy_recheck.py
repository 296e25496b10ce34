"""Posts deleted at the source, for Telegram (the public embed's "Post not found" widget) and VK (wall.getById,
wall.getComment): asked of the local simulator, erased only on a positive "gone" answer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from molva import rollups
from molva.cli import main
from molva.db import make_engine
from molva.models import BrandMention, Mention, Source
from molva.settings import load_settings

pytest.importorskip("simulator.server")

from simulator.model import Post
from simulator.server import SimServer
from simulator.world import World, build_world

NOW = datetime.now(UTC)
TOKEN = "vk-secret-token-0123456789"


def _store(db_url: str, source_name: str, kind: str, posts: list[tuple[str, str]]) -> None:
    """Mentions (external_id, url) of one source, each with a classified brand mention."""
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        source = Source(name=source_name, kind=kind)
        session.add(source)
        session.flush()
        for n, (external_id, url) in enumerate(posts):
            published = NOW - timedelta(hours=1 + n)
            mention = Mention(source_id=source.id, kind=kind, external_id=external_id, url=url,
                              canonical_url=url.split("://", 1)[-1], author=f"автор {n}", author_id=f"id{n}",
                              text=f"Сбербанк, пост {n}", published_at=published,
                              content_hash=f"{kind}{n:060d}"[:64])
            session.add(mention)
            session.flush()
            session.add(BrandMention(mention_id=mention.id, brand="Сбербанк", alias="Сбербанк", span_start=0,
                                     span_end=8, published_at=published, sentiment="negative", intent="problem",
                                     urgency=0.5, classified_at=published))
    engine.dispose()


def _left(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        left = sorted(session.scalars(select(Mention.external_id)))
        assert rollups.stored(session) == rollups.recount(session)  # the rollups forgot exactly the erased rows
        assert sum(n for key, n in rollups.stored(session).items() if key[4] == "mentions") == len(left)
        assert len(session.scalars(select(BrandMention)).all()) == len(left)
    engine.dispose()
    return left


def _config(tmp_path: Path, kind: str, base_url: str, extra: str = "") -> Path:
    targets = '["wall:-1"]' if kind == "vk" else '["bankinform"]'
    path = tmp_path / f"{kind}.toml"
    path.write_text(f'[[sources]]\nname = "{kind}"\nkind = "{kind}"\nbase_url = "{base_url}"\ntargets = {targets}\n'
                    f'{extra}[privacy]\nrecheck_days = 3\n', encoding="utf-8")
    return path


def _vk_world() -> tuple[World, Post, Post, Post, Post, Post]:
    """(world, a post that will be deleted, a comment under it, a post that stays, a comment that will be
    deleted, a comment that stays) — the last two under posts that stay."""
    world = build_world(seed=3, days=1, posts_per_day=80)
    comments = [p for p in world.visible() if p.sub == "vk_comment" and p.parent is not None]
    walls = [p for p in world.visible() if p.kind == "vk" and p.parent is None]
    doomed_post = comments[0].parent
    assert doomed_post is not None
    others = [c for c in comments if c.parent is not doomed_post]
    kept_post = next(p for p in walls if p is not doomed_post)
    assert len(others) >= 2
    return world, doomed_post, comments[0], kept_post, others[0], others[1]


def _vk_rows(*posts: Post) -> list[tuple[str, str]]:
    return [(p.external_id, p.url("")) for p in posts]


def test_vk_posts_and_comments_deleted_at_the_source_are_erased(db_url: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    from molva import redaction
    from molva.pipeline import privacy_upkeep

    redaction.install()  # as every molva process does (the CLI group): the token never reaches a log line
    world, doomed_post, its_comment, kept_post, doomed_comment, kept_comment = _vk_world()
    _store(db_url, "vk", "vk", _vk_rows(doomed_post, its_comment, kept_post, doomed_comment, kept_comment))
    with SimServer(world, port=0, vk_token=TOKEN, vk_rps=1000) as sim:
        assert world.delete_post("vk", doomed_post.external_id) is doomed_post
        assert world.delete_post("vk", doomed_comment.external_id) is doomed_comment
        monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
        monkeypatch.setenv("MOLVA_VK_TOKEN", TOKEN)
        caplog.set_level(logging.INFO)
        erased = privacy_upkeep(load_settings(_config(tmp_path, "vk", sim.base_url, "options = { rps = 1000 }\n")))
        # One wall.getById for the posts (and the posts the comments sit under), one wall.getComment per comment
        # whose post is still there: the comment under the deleted post goes with it, unasked.
        assert sim.requests == 3
    assert erased == 3  # the deleted post, the comment under it, the deleted comment
    assert _left(db_url) == sorted([kept_post.external_id, kept_comment.external_id])
    assert "wall.getById" in caplog.text and TOKEN not in caplog.text


def test_vk_api_errors_erase_nothing(db_url: str, tmp_path: Path) -> None:
    from molva.privacy import recheck_access, recheck_deleted

    world, doomed_post, its_comment, kept_post, doomed_comment, kept_comment = _vk_world()
    rows = _vk_rows(doomed_post, its_comment, kept_post, doomed_comment, kept_comment)
    _store(db_url, "vk", "vk", rows)
    world.delete_post("vk", doomed_post.external_id)
    world.delete_post("vk", doomed_comment.external_id)
    engine = make_engine(db_url)

    def recheck(sim: SimServer, token: str) -> tuple[int, int, list[float]]:
        pauses: list[float] = []
        settings = load_settings(_config(tmp_path, "vk", sim.base_url, f'options = {{ rps = 1000, token = "{token}" }}\n'))
        with Session(engine) as session, session.begin(), httpx.Client(timeout=5) as client:
            checked, result = recheck_deleted(session, recheck_access(settings), client, 3, sleep=pauses.append)
        return checked, result.mentions, pauses

    with SimServer(world, port=0, vk_token=TOKEN, vk_rps=1000) as sim:
        assert recheck(sim, "expired-token") == (0, 0, [])  # error 5: the token is refused; VK is left alone
        sim.set_faults("429=1")  # every VK call: error 6, too many requests per second
        checked, erased, pauses = recheck(sim, TOKEN)
        assert (checked, erased) == (0, 0) and len(pauses) >= 2  # backed off, then gave up for this run
        sim.set_faults(None)
        world.vk_closed.update({doomed_post.target, doomed_comment.target})  # error 15: access denied
        checked, erased, _ = recheck(sim, TOKEN)
        assert erased == 0
    engine.dispose()
    assert _left(db_url) == sorted(external_id for external_id, _ in rows)


def test_vk_without_a_token_is_not_asked(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from molva.pipeline import privacy_upkeep

    world, doomed_post, *_ = _vk_world()
    _store(db_url, "vk", "vk", _vk_rows(doomed_post))
    world.delete_post("vk", doomed_post.external_id)
    with SimServer(world, port=0) as sim:
        monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
        monkeypatch.delenv("MOLVA_VK_TOKEN", raising=False)
        assert privacy_upkeep(load_settings(_config(tmp_path, "vk", sim.base_url))) == 0
        assert sim.requests == 0  # VK was not asked at all
    assert _left(db_url) == [doomed_post.external_id]


def test_telegram_posts_deleted_at_the_source_are_erased(db_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from molva.pipeline import privacy_upkeep

    world = build_world(seed=2, days=1, posts_per_day=60)
    messages = [p for p in world.visible() if p.kind == "telegram"]
    doomed, kept = messages[0], messages[1]
    rows = [(doomed.external_id, doomed.url("https://t.me")), (kept.external_id, kept.url("https://t.me")),
            ("no_such_channel/7", "https://t.me/no_such_channel/7")]  # "Post not found", but no such channel
    _store(db_url, "telegram", "telegram", rows)
    with SimServer(world, port=0) as sim:
        world.delete_post("telegram", doomed.external_id)
        monkeypatch.setenv("MOLVA_DATABASE_URL", db_url)
        config = _config(tmp_path, "telegram", sim.base_url)
        sim.set_faults("5xx=1")  # t.me unreachable: nothing is erased
        assert privacy_upkeep(load_settings(config)) == 0
        assert len(_left(db_url)) == 3
        sim.set_faults(None)
        result = CliRunner().invoke(main, ["--config", str(config), "privacy", "recheck", "--days", "3"])
        assert result.exit_code == 0, result.output
        assert "Проверено 2" in result.output and "упоминаний 1" in result.output  # the post of a channel that is not there: unknown, kept
    assert _left(db_url) == sorted([kept.external_id, "no_such_channel/7"])


def test_telegram_embed_verdicts() -> None:
    from molva.recheck import _TelegramEmbed, telegram_embed_verdict

    def page(html: str) -> _TelegramEmbed:
        parsed = _TelegramEmbed()
        parsed.feed(html)
        return parsed

    shown = page('<div class="tgme_widget_message js-widget_message" data-post="Chan/5"><div>text</div></div>')
    assert telegram_embed_verdict(shown, "chan/5") is False
    gone = page('<body><div class="tgme_widget_message_error"><div class="x">Post\n not found</div></div></body>')
    assert telegram_embed_verdict(gone, "chan/5") is True
    private = page('<div class="tgme_widget_message_error">Channel is private</div>')
    assert telegram_embed_verdict(private, "chan/5") is None
    assert telegram_embed_verdict(page("<html><body>changed markup</body></html>"), "chan/5") is None
    assert telegram_embed_verdict(None, "chan/5") is None


def test_vk_asks_wall_get_by_id_in_batches_of_100(db_url: str, tmp_path: Path) -> None:
    from molva.privacy import recheck_access, recheck_deleted

    world, _, _, kept_post, _, _ = _vk_world()
    missing = [(f"-77_{n}", f"https://vk.com/wall-77_{n}") for n in range(1, 151)]  # never existed: absent
    _store(db_url, "vk", "vk", [*missing, *_vk_rows(kept_post)])
    engine = make_engine(db_url)
    with SimServer(world, port=0, vk_token=TOKEN, vk_rps=1000) as sim:
        settings = load_settings(_config(tmp_path, "vk", sim.base_url, f'options = {{ rps = 1000, token = "{TOKEN}" }}\n'))
        pauses: list[float] = []
        with Session(engine) as session, session.begin(), httpx.Client(timeout=5) as client:
            checked, result = recheck_deleted(session, recheck_access(settings), client, 10, sleep=pauses.append)
        assert sim.requests == 2 and pauses == [pytest.approx(1 / 1000)]  # 151 posts: two calls, paced
    engine.dispose()
    assert (checked, result.mentions) == (151, 150)
    assert _left(db_url) == [kept_post.external_id]
