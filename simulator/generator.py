"""Fills a :class:`~simulator.world.World` with posts, threads and official replies."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from molva.catalog import normalize
from simulator import content
from simulator.brands import SimBrand
from simulator.content import CATEGORIES, Category, Text
from simulator.model import FEEDS, GROUP_TAGS, NEWS_CHANNELS, Author, Post, Reply
from simulator.world import (
    KIND_WEIGHTS,
    NOISE_SHARE,
    REPOST_SHARE,
    World,
    make_authors,
    mastodon_id,
    official_author,
)

QA_FIRST_ID = 1_771_000  # banki.ru Q&A ids of the simulated banks
QA_SHARE = 0.3  # of the posts on banki.ru: questions to the bank's Q&A service (the rest are reviews)


class Generator:
    """Deterministic content generator; ``generate`` for the history, ``live_post`` for live mode."""

    def __init__(self, world: World, rng: random.Random, posts_per_day: int) -> None:
        self.w = world
        self.rng = rng
        self.ppd = posts_per_day
        self.authors = make_authors(random.Random(f"{world.seed}:authors"))
        b = world.brands
        self.by_name = {x.name: x for x in b}
        self.tg_brands = [x for x in b if x.account("telegram")]
        self.vk_brands = [x for x in b if x.account("vk")]
        self.review_brands = [x for x in b if x.account("reviews")]
        self.counters: dict[str, int] = {}
        self.wall_posts: dict[str, list[Post]] = {}
        self.seq = 0
        self.pending: list[Post] = []  # live mode: spike posts due after the history's end
        self.history: list[Post] = world.posts
        self._setup_containers()

    # --- containers ---------------------------------------------------------------------------------
    def _setup_containers(self) -> None:
        w = self.w
        for ch, (title, _) in NEWS_CHANNELS.items():
            w.channels[ch] = title
        for b in self.tg_brands:
            w.channels[b.accounts["telegram"][0].lstrip("@")] = b.name
        for b in self.vk_brands:
            w.walls[b.accounts["vk"][0]] = b.name
        for i, b in enumerate(self.review_brands):
            w.slugs[b.accounts["reviews"][0]] = b.name
            w.qa_ids[str(QA_FIRST_ID + 37 * i)] = b.accounts["reviews"][0]
        w.tags = sorted({GROUP_TAGS[b.domain] for b in w.brands} | {b.tag for b in w.brands})
        w.vk_queries = [b.name for b in w.brands]

    def next_id(self, key: str, first: int) -> int:
        self.counters[key] = self.counters.get(key, first - 1) + 1
        return self.counters[key]

    # --- the history --------------------------------------------------------------------------------
    def generate(self) -> None:
        w, rng = self.w, self.rng
        span = (w.end - w.start).total_seconds()
        days = span / 86400
        posts: list[Post] = []
        p: Post | None
        for b in self.vk_brands:  # brand walls: a post at the start, then ~2 a day
            for t in [w.start + timedelta(minutes=5)] + self._times(int(days)):
                posts.append(self._official(b, "vk_wall", t))
        for b in self.tg_brands:
            for t in self._times(int(days)):
                posts.append(self._official(b, "tg_official", t))
        for t in self._times(int(0.06 * self.ppd * days)):
            posts.append(self._news(t))
        posts.sort(key=lambda p: p.published)
        self.wall_posts = {}
        for p in posts:
            if p.sub == "vk_wall":
                self.wall_posts.setdefault(p.target, []).append(p)
        self.history = posts
        for t in self._times(int(self.ppd * days)):
            p = self._user_post(rng, t, speedup=1.0)
            if p is not None:
                posts.append(p)
        if w.spike is not None:
            count = w.spike.posts or int(self.ppd * 0.35)
            dur = (w.spike.end - w.spike.start).total_seconds()
            for _ in range(count):
                t = w.spike.start + timedelta(seconds=rng.random() * dur)
                p = self._spike_post(rng, t)
                if p is None:
                    continue
                if w.live_interval > 0 and t > w.end:
                    self.pending.append(p)  # published live, when its time comes (ids then)
                else:
                    posts.append(p)
            self.pending.sort(key=lambda p: p.published)
        self._assign_ids(posts)

    def _times(self, n: int) -> list[datetime]:
        """``n`` uniform random times in ``[start, end]`` (relative to start: same seed, same offsets)."""
        span = (self.w.end - self.w.start).total_seconds()
        return sorted(self.w.start + timedelta(seconds=int(self.rng.random() * span)) for _ in range(n))

    def _assign_ids(self, posts: list[Post]) -> None:
        """Ids in chronological order per container (VK posts, comments and replies share one counter)."""
        events: list[tuple[datetime, int, object]] = []
        for i, p in enumerate(posts):
            events.append((p.published, 2 * i, p))
            if p.reply is not None:
                events.append((p.reply.published, 2 * i + 1, p.reply))
        events.sort(key=lambda e: (e[0], e[1]))
        owner = {id(p.reply): p for p in posts if p.reply is not None}
        for _, _, obj in events:
            if isinstance(obj, Post):
                self._assign_post_id(obj)
            elif isinstance(obj, Reply):
                self._assign_reply_id(owner[id(obj)], obj)
        self.w.posts = sorted(posts, key=lambda p: (p.published, p.local_id))
        self.history = self.w.posts

    def _assign_post_id(self, p: Post) -> None:
        if p.kind == "telegram":
            p.local_id = self.next_id(f"tg:{p.target}", 1200 + self.rng.randrange(800))
        elif p.kind == "vk":
            p.local_id = self.next_id(f"vk:{p.target}", 40_000 if p.target.startswith("-") else 1)
        elif p.kind == "reviews" and p.sub == "question":
            p.local_id = self.next_id("qa", 11_540_000)
        elif p.kind == "reviews":
            p.local_id = self.next_id("reviews", 10_480_000)
        elif p.kind == "rss":
            n = self.next_id(f"rss:{p.target}", 1)
            slug = p.target.strip("/").replace("/", "-").rsplit(".", 1)[0]
            p.meta["guid"] = f"molva-sim:{slug}:{n}"
            p.meta["path"] = f"/news/{slug}/{n}/"
            p.local_id = n
        else:
            self.seq += 1
            p.local_id = mastodon_id(self.w, p.published, self.seq)

    def _assign_reply_id(self, p: Post, r: Reply) -> None:
        if p.kind == "vk":
            r.local_id = self.next_id(f"vk:{p.target}", 40_000)
            assert p.parent is not None
            r.external_id = f"{p.target}_{p.parent.local_id}_{r.local_id}"
        elif p.kind == "mastodon":
            self.seq += 1
            r.local_id = mastodon_id(self.w, r.published, self.seq)
            r.external_id = str(r.local_id)
        else:
            r.external_id = f"{p.external_id}/answer"

    # --- live mode ----------------------------------------------------------------------------------
    def next_pending(self) -> datetime | None:
        """When the next spike post scheduled after the history's end is due (live mode)."""
        return self.pending[0].published if self.pending else None

    def publish_pending(self) -> None:
        """Publish the next scheduled spike post: ids are given now, as for any live post."""
        p = self.pending.pop(0)
        self._assign_post_id(p)
        if p.reply is not None:
            self._assign_reply_id(p, p.reply)
        self.w.posts.append(p)

    def live_post(self, k: int, t: datetime, speedup: float) -> None:
        rng = random.Random(f"{self.w.seed}:live:{k}")
        p = self._user_post(rng, t, speedup=speedup)
        if p is None:
            return
        self._assign_post_id(p)
        if p.reply is not None:
            self._assign_reply_id(p, p.reply)
        self.w.posts.append(p)

    # --- post makers --------------------------------------------------------------------------------
    def _pick_category(self, rng: random.Random) -> Category:
        cats = list(CATEGORIES.values())
        return rng.choices(cats, weights=[c.weight for c in cats])[0]

    def _competitor(self, rng: random.Random, brand: SimBrand) -> SimBrand | None:
        same = [b for b in self.w.brands if b.group == brand.group and b.name != brand.name]
        return rng.choice(same) if same and rng.random() < 0.5 else None

    def _base(self, kind: str, sub: str, target: str, t: datetime, author: Author, text: Text,
              addressed: bool = False) -> Post:
        cat = text.category
        return Post(kind=kind, sub=sub, target=target, published=t, author=author, text=text.text,
                    title=text.title, brand=text.brands[0] if text.brands else None, brands=text.brands,
                    sentiment=cat.sentiment, intent=cat.intent, urgent=cat.urgent, addressed=addressed,
                    category=cat.name)

    def _user_post(self, rng: random.Random, t: datetime, speedup: float) -> Post | None:
        subs = list(KIND_WEIGHTS)
        sub = rng.choices(subs, weights=[KIND_WEIGHTS[s] for s in subs])[0]
        author = rng.choice(self.authors)
        if sub == "vk_user" and rng.random() < REPOST_SHARE:
            return self._repost(rng, t, author, "vk")
        if sub == "status" and rng.random() < REPOST_SHARE:
            return self._repost(rng, t, author, "mastodon")
        if sub == "tg_channel" and rng.random() < 2 * REPOST_SHARE:
            return self._forward(rng, t)
        if sub in ("vk_user", "tg_channel", "status") and rng.random() < NOISE_SHARE:
            return self._noise(rng, sub, t, author)
        pool = {"vk_comment": self.vk_brands, "review": self.review_brands}.get(sub, self.w.brands)
        if not pool:
            return None
        brand = rng.choice(pool)
        cat = self._pick_category(rng)
        text = content.compose(rng, brand, cat, self._competitor(rng, brand), formal=(sub == "review"))
        return self._place(rng, sub, t, author, brand, text, speedup)

    def _place(self, rng: random.Random, sub: str, t: datetime, author: Author, brand: SimBrand,
               text: Text, speedup: float) -> Post | None:
        if sub == "vk_comment":
            owner = brand.accounts["vk"][0]
            walls = [p for p in self.wall_posts.get(owner, []) if p.published < t]
            if not walls:
                return None
            recent = [p for p in walls if (t - p.published).days < 3] or walls[-1:]
            post = self._base("vk", "vk_comment", owner, t, author, text, addressed=True)
            post.parent = rng.choice(recent)
        elif sub == "vk_user":
            post = self._base("vk", "vk_user", str(author.id), t, author, text)
        elif sub == "tg_channel":
            chans = [c for c, (_, d) in NEWS_CHANNELS.items() if d in (brand.domain, "any")]
            post = self._base("telegram", "tg_channel", rng.choice(chans), t, author, text)
            post.text = rng.choice(("Пишет подписчик: ", "Из предложки: ", "", "Жалоба читателя: ")) + post.text
            post.meta["views"] = rng.randint(300, 90_000)
        elif sub == "review":
            post = self._base("reviews", "review", brand.accounts["reviews"][0], t, author, text, addressed=True)
            post.meta["rating"] = {"negative": rng.choice((1, 1, 2)), "neutral": 3,
                                   "positive": rng.choice((4, 5, 5))}[post.sentiment]
            # Some go to the bank's Q&A service instead (own random stream: the rest of the world is unchanged).
            qa_rng = random.Random(f"{self.w.seed}:qa:{(t - self.w.start).total_seconds()}:{author.id}")
            if post.intent == "question" or qa_rng.random() < QA_SHARE:
                post.sub = "question"
                post.meta.pop("rating")
        else:
            post = self._status(rng, t, author, brand, text)
        if post.addressed:
            self._maybe_reply(rng, post, brand, speedup)
        return post

    def _status(self, rng: random.Random, t: datetime, author: Author, brand: SimBrand, text: Text) -> Post:
        acct = brand.account("mastodon")
        mention = acct is not None and rng.random() < 0.5
        post = self._base("mastodon", "status", "", t, author, text, addressed=mention)
        tags = [brand.tag] if rng.random() < 0.6 else [GROUP_TAGS[brand.domain]]
        if rng.random() < 0.3:
            tags.append(GROUP_TAGS[brand.domain] if tags[0] == brand.tag else brand.tag)
        post.meta["tags"] = tags
        post.meta["mentions"] = [acct] if mention and acct else []
        return post

    def _maybe_reply(self, rng: random.Random, post: Post, brand: SimBrand, speedup: float) -> None:
        if rng.random() >= brand.profile.rate:
            return
        delay = brand.profile.draw_delay(rng) / speedup
        text, rep = content.compose_reply(rng, brand, post.author.name)
        kind = {"vk": "vk", "reviews": "reviews", "mastodon": "mastodon"}[post.kind]
        post.reply = Reply(brand=brand.name, account=brand.account(kind) or "", author_name=rep, text=text,
                           published=post.published + timedelta(seconds=max(1.0, delay)))

    def _noise(self, rng: random.Random, sub: str, t: datetime, author: Author) -> Post:
        text = content.compose_noise(rng)
        words = normalize(text.text)
        if sub == "vk_user" and not any(normalize(q) in words for q in self.w.vk_queries):
            sub = "tg_channel"  # newsfeed.search could never find it: publish it where a crawler looks
        if sub == "vk_user":
            return self._base("vk", "vk_user", str(author.id), t, author, text)
        if sub == "tg_channel":
            post = self._base("telegram", "tg_channel", "narodnye_zhaloby", t, author, text)
            post.meta["views"] = rng.randint(100, 5000)
            return post
        post = self._base("mastodon", "status", "", t, author, text)
        post.meta["tags"] = [rng.choice(self.w.tags)]
        post.meta["mentions"] = []
        return post

    def _repost(self, rng: random.Random, t: datetime, author: Author, kind: str) -> Post | None:
        """A copy of an earlier post of the same kind (VK user wall / Mastodon), linked as a near-duplicate."""
        sub = "vk_user" if kind == "vk" else "status"
        earlier = [p for p in self.history if p.sub == sub and p.published < t and p.duplicate_of is None]
        if not earlier:
            return None
        orig = rng.choice(earlier[-50:])
        text = Text(content.near_duplicate(rng, orig.text), orig.title,
                    Category(orig.category, orig.sentiment, orig.intent, orig.urgent, 0), orig.brands)
        target = str(author.id) if kind == "vk" else ""
        post = self._base(kind, sub, target, t, author, text)
        post.brand = orig.brand
        post.duplicate_of = orig
        post.meta = {k: list(v) if isinstance(v, list) else v for k, v in orig.meta.items()}
        post.meta["mentions"] = [] if kind == "mastodon" else post.meta.get("mentions", [])
        return post

    def _forward(self, rng: random.Random, t: datetime) -> Post | None:
        """A Telegram forward: an earlier channel post re-published in another channel (same text)."""
        earlier = [p for p in self.history[-400:] if p.kind == "telegram" and p.published < t
                   and p.duplicate_of is None]
        if not earlier:
            return None
        orig = rng.choice(earlier)
        chans = [c for c in NEWS_CHANNELS if c != orig.target]
        text = Text(orig.text, orig.title, Category(orig.category, orig.sentiment, orig.intent, orig.urgent, 0),
                    orig.brands)
        post = self._base("telegram", "tg_channel", rng.choice(chans), t, orig.author, text)
        post.brand, post.duplicate_of = orig.brand, orig
        post.meta["views"] = rng.randint(200, 20_000)
        return post

    def _spike_post(self, rng: random.Random, t: datetime) -> Post | None:
        assert self.w.spike is not None
        brand = self.by_name.get(self.w.spike.brand)
        if brand is None:
            return None
        text = content.compose_spike(rng, brand)
        author = rng.choice(self.authors)
        sub = rng.choices(("vk_user", "status", "tg_channel", "vk_comment"), weights=(35, 25, 10, 30))[0]
        if sub == "vk_comment" and not brand.account("vk"):
            sub = "vk_user"
        return self._place(rng, sub, t, author, brand, text, speedup=1.0)

    def _official(self, brand: SimBrand, sub: str, t: datetime) -> Post:
        text = content.compose_official(self.rng, brand)
        if sub == "vk_wall":
            owner = brand.accounts["vk"][0]
            post = self._base("vk", "vk_wall", owner, t, official_author(brand, "vk"), text)
        else:
            chan = brand.accounts["telegram"][0].lstrip("@")
            post = self._base("telegram", "tg_official", chan, t, official_author(brand, "telegram"), text)
            post.meta["views"] = self.rng.randint(5_000, 400_000)
        post.is_official = True
        post.sentiment = "positive" if "Розыгрыш" in text.text or "Обновили" in text.text else "neutral"
        return post

    def _news(self, t: datetime) -> Post:
        rng = self.rng
        brand = rng.choice(self.w.brands)
        text, _sentiment = content.compose_news(rng, brand)
        feeds = [f for f, (_, _, d) in FEEDS.items() if d in (brand.domain, "any")]
        author = Author(id=0, name=rng.choice(("Редакция", "Анна Королёва", "Игорь Демин", "Пресс-служба")),
                        username="editor", city="", followers=0)
        post = self._base("rss", FEEDS[feeds[0]][0], rng.choice(feeds), t, author, text)
        post.sub = FEEDS[post.target][0]
        post.meta["categories"] = [{"bank": "Банки", "telecom": "Связь"}.get(brand.domain, "Сервисы"), brand.name]
        return post
