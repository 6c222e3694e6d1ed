"""Share links for a campaign: plain URLs with the text filled in, no third-party scripts (SAFETY.md I4).

Nothing is loaded from the networks until the supporter clicks; each link opens the network's own
compose page with the text, hashtag and campaign address already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from portal.i18n import N_

EMAIL = N_("E-mail")


@dataclass(frozen=True)
class ShareLink:
    """One way to share. `name` is a message id: translate it with `_` (brand names stay as they are)."""

    name: str
    url: str


def _hashtag(hashtag: str) -> str:
    """The tag without its "#"; one word, since networks end a hashtag at a space or a comma."""
    tag = hashtag.strip().lstrip("#")
    if any(ch.isspace() or ch in "#," for ch in tag):
        raise ValueError(f"a hashtag is one word, got {hashtag!r}")
    return tag


def _query(**params: str) -> str:
    # %20 rather than "+": every network decodes it, and it reads the same in a mailto: body.
    return urlencode(params, quote_via=quote, safe="")


def share_links(*, text: str, url: str, hashtag: str, subject: str) -> list[ShareLink]:
    """Links for e-mail, X, Facebook, WhatsApp and Bluesky, in that order."""
    tag = _hashtag(hashtag)
    with_tag = f"{text} #{tag}" if tag else text
    # RFC 6068: a line break in a mailto body is CRLF, percent-encoded.
    body = f"{text}\n\n{url}".replace("\r\n", "\n").replace("\n", "\r\n")
    mailto = "mailto:?" + "&".join(
        f"{name}={quote(value, safe='')}" for name, value in (("subject", subject), ("body", body))
    )
    tweet = {"text": text, "url": url}
    if tag:
        tweet["hashtags"] = tag
    return [
        ShareLink(EMAIL, mailto),
        ShareLink("X", "https://twitter.com/intent/tweet?" + _query(**tweet)),
        ShareLink("Facebook", "https://www.facebook.com/sharer/sharer.php?" + _query(u=url)),
        ShareLink("WhatsApp", "https://wa.me/?" + _query(text=f"{with_tag}\n{url}")),
        ShareLink("Bluesky", "https://bsky.app/intent/compose?" + _query(text=f"{with_tag}\n{url}")),
    ]


def campaign_url(public_url: str, campaign_id: str, language: str) -> str:
    """The address of a campaign's letter page in `language`, e.g. https://host/write?campaign=x&lang=es."""
    return f"{public_url.rstrip('/')}/write?" + _query(campaign=campaign_id, lang=language)
