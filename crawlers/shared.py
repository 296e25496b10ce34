"""Scale-out: several crawl processes (on one or many machines) share one request queue and one dupefilter
in Redis (scrapy-redis), and store into one PostgreSQL database.

Switched on by ``[crawl] redis_url`` (env ``MOLVA_CRAWL__REDIS_URL``). Every process runs the same
``molva crawl`` over the same config; each source's requests go to ``<prefix>:<source>:requests`` and are
fetched by whichever process pops them first; the dupefilter ``<prefix>:<source>:dupefilter`` makes sure a
page is fetched once per *round* however many processes enqueue it.

A round lasts while at least one process works on the source: processes register in
``<prefix>:<source>:workers``; the queue and the dupefilter persist when a process closes
(``SCHEDULER_PERSIST``: the others are still working on them) and are cleared by the last one to close,
so that the next round fetches everything again. A process only closes once the shared queue is empty and
nothing of its own is in flight, so the last process drains what the others left. The keys expire after
``MOLVA_REDIS_ROUND_TTL`` seconds without a process opening them (a process killed with ``-9`` cannot
block later rounds for ever).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

log = logging.getLogger(__name__)

RELEASE = """
local left = redis.call('DECR', KEYS[1])
if left <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
end
return left
"""


def shared_key(prefix: str, source: str, what: str) -> str:
    return f"{prefix}:{source}:{what}"


class SharedScheduler(Scheduler):  # type: ignore[misc]  # scrapy-redis has no type hints
    """scrapy-redis' scheduler with keys per Molva *source* (not per spider class) and rounds.

    Two sources of one kind (two VK sources, say) run the same spider class: their queues must not mix.
    """

    def __init__(self, server: Any, prefix: str = "molva", round_ttl: int = 6 * 3600, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.prefix = prefix
        self.round_ttl = round_ttl
        self.workers_key = ""
        self.registered = False

    @classmethod
    def from_settings(cls, settings: Any) -> SharedScheduler:
        scheduler = super().from_settings(settings)
        scheduler.prefix = settings.get("MOLVA_REDIS_PREFIX") or "molva"
        scheduler.round_ttl = settings.getint("MOLVA_REDIS_ROUND_TTL", 6 * 3600)
        assert isinstance(scheduler, SharedScheduler)
        return scheduler

    def open(self, spider: Any) -> None:
        self.spider = spider
        source = str(getattr(spider, "source_name", None) or spider.name)
        self.queue_key = shared_key(self.prefix, source, "requests")
        self.dupefilter_key = shared_key(self.prefix, source, "dupefilter")
        self.workers_key = shared_key(self.prefix, source, "workers")
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        self.df = RFPDupeFilter(self.server, key=self.dupefilter_key,
                                debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        with self.server.pipeline() as pipe:
            pipe.incr(self.workers_key)
            for key in (self.workers_key, self.queue_key, self.dupefilter_key):
                pipe.expire(key, self.round_ttl)
            workers = pipe.execute()[0]
        self.registered = True
        if workers > 1 or len(self.queue):
            spider.logger.info("joining a shared crawl of %s (%d processes, %d requests queued)", source,
                               workers, len(self.queue))

    def enqueue_request(self, request: Any) -> bool:
        added = bool(super().enqueue_request(request))
        if added:
            self.server.expire(self.queue_key, self.round_ttl)
        return added

    def close(self, reason: str) -> None:
        """Leave the round; the last process out clears the queue and the dupefilter."""
        if not self.registered:
            return
        self.registered = False
        # Not scrapy-redis' flush-unless-SCHEDULER_PERSIST: the others may still work on the queue.
        left = self.server.eval(RELEASE, 3, self.workers_key, self.queue_key, self.dupefilter_key)
        log.debug("left the shared crawl of %s (%d processes still on it)", self.workers_key, left)
