"""2GIS: reviews of a company's branches and the company's official answers (the public reviews API the
2GIS site uses). Targets: branch ids (``70000001020555497``) or ``org:<org_id>``; ``options.key``: the API key.
Official accounts: the brand's branch (or org) ids."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from molva.sources import SourceKind


class TwoGisOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field("", description="the reviews API key the 2GIS site sends")


SOURCE = SourceKind(
    name="twogis",
    title="2ГИС",
    spider="crawlers.spiders.twogis:TwoGisSpider",
    default_base_url="https://public-api.reviews.2gis.com",
    options=TwoGisOptions,
    target_pattern=r"(?:(?:branch|org):)?\d+",
    target_hint="a branch id, or org:<id>",
    politeness={"CONCURRENT_REQUESTS_PER_DOMAIN": 1},
    account_pattern=r"\d+",
    account_hint="a 2GIS branch or org id",
    simulator=None,
)
