"""What a credential page offers for sharing it elsewhere, beyond the LinkedIn link
(render.linkedin_url): the HTML snippet an earner pastes into a personal site or an email
signature."""

from __future__ import annotations

from markupsafe import escape

from ..content.model import Award, Badge
from .cards import CARD_NAME, CARD_SIZE

# The badge's social card, shown at a quarter of its size: a PNG, because webmail (Gmail,
# Outlook) shows no SVG, the usual badge image format; the card carries the badge image,
# its name and the issuer's.
EMBED_WIDTH = CARD_SIZE[0] // 4
EMBED_HEIGHT = CARD_SIZE[1] // 4


def embed_snippet(award: Award, badge: Badge, cfg) -> str:
    """The badge's card, linked to the credential's page (where anyone can verify it), with
    a line of text under it. Every value is escaped here, once, as it goes into the HTML
    the earner will paste; the page then shows this text escaped again inside a <textarea>.
    Absolute URLs, since the snippet lives on other sites."""
    href = escape(cfg.abs_url(award.url))
    earned = f" earned by {award.earner_name}" if award.earner_name else ""
    alt = escape(f"{badge.name} badge{earned}, issued by {cfg.issuer.name}")
    src = escape(cfg.abs_url(badge.url + CARD_NAME))
    return (f'<a href="{href}"><img src="{src}" alt="{alt}" width="{EMBED_WIDTH}" '
            f'height="{EMBED_HEIGHT}"><br><span>{escape(badge.name)}: verify this credential'
            "</span></a>")
