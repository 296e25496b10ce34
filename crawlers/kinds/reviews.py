"""banki.ru: the reviews service (targets: bank slugs) and the Q&A service (``qa:<id>``). Official accounts:
bank slugs (the bank's representative answering on its pages)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from molva.sources import SourceKind


class ReviewsOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    recheck_pages: int = Field(2, ge=1, le=100, description="list pages always read again (late answers)")

SOURCE = SourceKind(
    name="reviews",
    title="Банки.ру",
    spider="crawlers.spiders.reviews:ReviewsSpider",
    default_base_url="https://www.banki.ru",
    options=ReviewsOptions,
    target_pattern=r"/?[A-Za-z0-9_.\-]+/?|(?:qa|questions):\d+",
    target_hint="a bank slug such as 'sberbank', or qa:<id> for the bank's Q&A",
    account_pattern=r"[A-Za-z0-9_.\-]+",
    account_hint="a banki.ru bank slug",
    simulator=None,  # served by simulator.server itself (built in)
)
