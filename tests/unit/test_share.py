"""Share links: every link parses back to exactly the text, hashtag and address it was given."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letters.share import ShareLink, campaign_url, share_links

URL = "https://portal.example.org/write?campaign=reunite&lang=es"
TEXTS = [
    "I wrote to the President & the Secretary: reunite families now! #1 priority? Yes.",
    "¿Por qué separan a los niños? Mamá y papá\nsegunda línea 100% + más",
    "Gia đình phải được đoàn tụ 👨‍👩‍👧 a+b=c; x=1&y=2",
]


def params(link: ShareLink) -> dict[str, str]:
    parts = urlsplit(link.url)
    parsed = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), link.url
    return {key: values[0] for key, values in parsed.items()}


def by_name(links: list[ShareLink]) -> dict[str, ShareLink]:
    return {link.name: link for link in links}


@pytest.mark.parametrize("text", TEXTS)
def test_each_link_carries_the_text_hashtag_and_url(text):
    links = by_name(share_links(text=text, url=URL, hashtag="#FamiliasUnidas",
                                subject="Familias & niños: ¿juntos?"))
    assert list(links) == ["E-mail", "X", "Facebook", "WhatsApp", "Bluesky"]

    x = links["X"]
    assert x.url.startswith("https://twitter.com/intent/tweet?")
    assert params(x) == {"text": text, "url": URL, "hashtags": "FamiliasUnidas"}

    facebook = links["Facebook"]
    assert facebook.url.startswith("https://www.facebook.com/sharer/sharer.php?")
    assert params(facebook) == {"u": URL}

    for name, prefix in (("WhatsApp", "https://wa.me/?"), ("Bluesky", "https://bsky.app/intent/compose?")):
        assert links[name].url.startswith(prefix)
        assert params(links[name]) == {"text": f"{text} #FamiliasUnidas\n{URL}"}

    for link in links.values():
        assert link.url.isascii() and not any(ch.isspace() for ch in link.url), link.url
        assert "+" not in link.url  # a literal "+" would come back as a space in some readers


@pytest.mark.parametrize("text", TEXTS)
def test_mailto_has_subject_and_body_with_the_url(text):
    subject = "Familias & niños: ¿juntos? #ya"
    (mail,) = [link for link in share_links(text=text, url=URL, hashtag="x", subject=subject)
               if link.name == "E-mail"]
    parts = urlsplit(mail.url)
    assert parts.scheme == "mailto" and parts.path == ""
    assert "%20" in mail.url or " " not in text  # quote, not quote_plus
    got = params(mail)
    assert got["subject"] == subject
    assert got["body"] == text.replace("\n", "\r\n") + "\r\n\r\n" + URL  # RFC 6068 line ends


def test_empty_hashtag_is_left_out():
    links = by_name(share_links(text="Hi", url=URL, hashtag="", subject="s"))
    assert "hashtags" not in params(links["X"])
    assert params(links["WhatsApp"]) == {"text": f"Hi\n{URL}"}


@pytest.mark.parametrize("hashtag", ["Families Together", "#a#b", "one,two"])
def test_hashtag_must_be_one_word(hashtag):
    with pytest.raises(ValueError):
        share_links(text="Hi", url=URL, hashtag=hashtag, subject="s")


@given(text=st.text(max_size=300), hashtag=st.from_regex(r"#?[A-Za-zÀ-ÿ0-9_]{1,30}", fullmatch=True))
def test_any_text_round_trips(text, hashtag):
    links = by_name(share_links(text=text, url=URL, hashtag=hashtag, subject=text))
    tag = hashtag.lstrip("#")
    assert params(links["X"]) == {"text": text, "url": URL, "hashtags": tag}
    assert params(links["Bluesky"])["text"] == f"{text} #{tag}\n{URL}"
    assert params(links["E-mail"])["subject"] == text


@pytest.mark.parametrize("public_url", ["https://portal.example.org", "https://portal.example.org/"])
def test_campaign_url(public_url):
    assert campaign_url(public_url, "reunite", "es") == "https://portal.example.org/write?campaign=reunite&lang=es"


def test_campaign_url_encodes_the_id():
    url = campaign_url("http://localhost:8501", "a&b c", "en")
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("localhost:8501", "/write")
    assert parse_qs(parts.query) == {"campaign": ["a&b c"], "lang": ["en"]}
