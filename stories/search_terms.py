"""Word search over stories whose text is stored encrypted.

Each distinct word of a story is kept only as a keyed hash (HMAC with the lookup key, 63 bits),
so moderators can find stories by word in SQL, with paging, while a copy of the database alone
gives away neither the words nor whether a given word appears. Matching is by whole word,
ignoring case and accents.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Iterable

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from portal.crypto import FieldCipher
from stories.models import Story, StoryTerm

_WORD = re.compile(r"\w+", re.UNICODE)
MIN_WORD = 2
MAX_QUERY_WORDS = 8


def words(text: str) -> set[str]:
    """The distinct searchable words of `text`: case and accents folded."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return {w for w in _WORD.findall(plain) if len(w) >= MIN_WORD}


def term_hash(cipher: FieldCipher, word: str) -> int:
    digest = hmac.new(cipher.search_key, word.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # fits a signed 64-bit column


def index_story(session: Session, cipher: FieldCipher, story_id: int, texts: Iterable[str]) -> None:
    """Replace the story's search terms with the words of `texts`."""
    session.execute(delete(StoryTerm).where(StoryTerm.story_id == story_id))
    found = set().union(*(words(t) for t in texts if t))
    if found:
        session.execute(insert(StoryTerm), [{"term": term_hash(cipher, w), "story_id": story_id}
                                            for w in found])


def forget_story(session: Session, story_id: int) -> None:
    session.execute(delete(StoryTerm).where(StoryTerm.story_id == story_id))


def matching(cipher: FieldCipher, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause for stories holding every word of `query`; None for an empty query."""
    wanted = sorted(words(query))[:MAX_QUERY_WORDS]
    if not wanted:
        return None
    clauses = [Story.id.in_(select(StoryTerm.story_id).where(StoryTerm.term == term_hash(cipher, w)))
               for w in wanted]
    condition = clauses[0]
    for clause in clauses[1:]:
        condition = condition & clause
    return condition
