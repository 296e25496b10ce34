"""VK through its API: ``wall:<owner_id>`` (wall.get + wall.getComments) and ``search:<query>``
(newsfeed.search, whose comments come as ``post_type: "reply"`` items). Official accounts: the owner ids of
brand communities (negative numbers)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from molva.sources import SourceKind


class VkOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    rps: float = Field(3.0, gt=0, le=1000, description="API calls per second per token (VK allows 3)")
    token: str = ""  # an access token for this source (MOLVA_VK_TOKEN wins)


SOURCE = SourceKind(
    name="vk",
    title="ВКонтакте",
    spider="crawlers.spiders.vk:VkSpider",
    default_base_url="https://api.vk.com",
    options=VkOptions,
    target_pattern=r"wall:-?\d+|search:.+",
    target_hint="wall:<owner_id> or search:<query>",
    politeness={"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "RANDOMIZE_DOWNLOAD_DELAY": False},
    account_pattern=r"-?\d+",
    account_hint='the numeric owner id of a community, e.g. "-22522055"',
    normalize_account=str.strip,
    simulator=None,  # served by simulator.server itself (built in)
)
