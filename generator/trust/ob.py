"""Open Badges 3.0 documents made from the model (Achievement; issuer Profile later).

Everything here ends up inside signed credentials, so it uses only terms the pinned contexts
define; the credentials stage canonicalizes in safe mode and would refuse anything else.
"""

from __future__ import annotations

from typing import Any

from ..content.config import SiteConfig
from ..content.model import Badge
from ..core.text import plain_paragraphs

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CID_V1 = "https://www.w3.org/ns/cid/v1"
OB_CONTEXT = [VC_V2, OB_V3]


def issuer_summary(config: SiteConfig) -> dict[str, Any]:
    """The issuer as it appears inside an Achievement's ``creator``."""
    profile: dict[str, Any] = {"id": config.issuer_id, "type": ["Profile"],
                               "name": config.issuer.name, "url": config.issuer.url}
    if config.issuer.email:
        profile["email"] = config.issuer.email
    return profile


def achievement(badge: Badge, config: SiteConfig, *, context: bool = True) -> dict[str, Any]:
    """The badge's OB 3.0 Achievement; its id is the badge page URL."""
    doc: dict[str, Any] = {}
    if context:
        doc["@context"] = list(OB_CONTEXT)
    doc |= {
        "id": config.abs_url(badge.url),
        "type": ["Achievement"],
        "achievementType": badge.type,
        "name": badge.name,
        # plain text, as OB 3.0 defines it (only criteria.narrative is Markdown)
        "description": plain_paragraphs(badge.description_md) or badge.summary or badge.name,
        "criteria": {"id": config.abs_url(badge.url) + "#criteria",
                     "narrative": badge.criteria_md},
    }
    if badge.image_url:
        doc["image"] = {"id": config.abs_url(badge.image_url), "type": "Image",
                        "caption": badge.name}
    doc["creator"] = issuer_summary(config)
    if badge.skills:
        doc["tag"] = list(badge.skills)
    if badge.alignments:
        doc["alignment"] = []
        for a in badge.alignments:
            item = {"type": ["Alignment"], "targetName": a.name, "targetUrl": a.url}
            if a.framework:
                item["targetFramework"] = a.framework
            if a.code:
                item["targetCode"] = a.code
            doc["alignment"].append(item)
    doc["inLanguage"] = config.language
    return doc
