"""What a credential page offers for sharing it elsewhere, beyond the LinkedIn link
(render.linkedin_url): the HTML snippet an earner pastes into a personal site or an email
signature."""

from __future__ import annotations

from markupsafe import escape

from ..content.model import Award, Badge

EMBED_IMAGE_SIZE = 96


def embed_snippet(award: Award, badge: Badge, cfg) -> str:
    """The badge image, linked to the credential's page (where anyone can verify it), with
    the badge name under it. Every value is escaped here, once, as it goes into the HTML
    the earner will paste; the page then shows this text escaped again inside a <textarea>.
    Absolute URLs, since the snippet lives on other sites. Without a badge image, the link
    alone."""
    href = escape(cfg.abs_url(award.url))
    earned = f" earned by {award.earner_name}" if award.earner_name else ""
    parts = [f'<a href="{href}">']
    if badge.image_url:
        alt = escape(f"{badge.name} badge{earned}, issued by {cfg.issuer.name}")
        parts.append(f'<img src="{escape(cfg.abs_url(badge.image_url))}" alt="{alt}" '
                     f'width="{EMBED_IMAGE_SIZE}" height="{EMBED_IMAGE_SIZE}"><br>')
    parts.append(f"<span>{escape(badge.name)}: verify this credential</span></a>")
    return "".join(parts)
