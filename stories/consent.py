"""Informed, per-purpose consent: the versioned texts, the answers, and their record (SAFETY.md S1-S2).

A consent text is a folder under `consent_texts/` named by its version, one TOML file per
language. What the storyteller is shown is `ConsentText.shown_text()`, and its SHA-256 is stored
with their answers, so it can be proved later which exact words they agreed to.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from sqlalchemy.orm import Session

from portal.config import PROJECT_ROOT
from portal.i18n import DEFAULT_LANGUAGE, N_, Msg
from stories.models import (AgeConfirmation, ConsentChange, ConsentEvent, Credit, IntakeMethod,
                            Story)

CONSENT_DIR = PROJECT_ROOT / "consent_texts"
PURPOSES = ("keep_for_review", "publish", "press", "quote", "photo")


@dataclass(frozen=True)
class ConsentText:
    version: str
    language: str
    before_you_start: str
    intro: str
    purposes: Mapping[str, str]
    credit_question: str
    credit_options: Mapping[Credit, str]
    age_question: str
    age_options: Mapping[AgeConfirmation, str]

    def shown_text(self) -> str:
        """The exact words the storyteller is shown before agreeing, in the order shown.

        The "before you start" information is part of it: consent is informed only if the risks
        and uses explained there are the ones recorded.
        """
        lines = [self.before_you_start, self.intro]
        lines += [self.purposes[p] for p in PURPOSES]
        lines += [self.credit_question, *self.credit_options.values()]
        lines += [self.age_question, *self.age_options.values()]
        return "\n".join(lines)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.shown_text().encode("utf-8")).hexdigest()


def _parse(path: Path, version: str, language: str) -> ConsentText:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return ConsentText(
        version=version,
        language=language,
        before_you_start=data["before_you_start"].strip(),
        intro=data["intro"].strip(),
        purposes={p: data["purposes"][p].strip() for p in PURPOSES},
        credit_question=data["credit"]["question"],
        credit_options={c: data["credit"][c.value] for c in Credit},
        age_question=data["age"]["question"],
        age_options={a: data["age"][a.value] for a in AgeConfirmation},
    )


@lru_cache(maxsize=None)
def load_consent_texts(directory: Path = CONSENT_DIR) -> Mapping[tuple[str, str], ConsentText]:
    """Every version in every language, read once; a malformed file stops the start (KeyError)."""
    texts = {}
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.toml")):
            texts[(folder.name, path.stem)] = _parse(path, folder.name, path.stem)
    return texts


def current_version(directory: Path = CONSENT_DIR) -> str:
    """The newest version: folder names sort by date (YYYY-MM, then a suffix if needed)."""
    return max(version for version, _lang in load_consent_texts(directory))


def consent_text(language: str, version: str | None = None,
                 directory: Path = CONSENT_DIR) -> ConsentText:
    """The consent text in `language` (English if it has no translation), newest version by default."""
    texts = load_consent_texts(directory)
    version = version or current_version(directory)
    return texts.get((version, language)) or texts[(version, DEFAULT_LANGUAGE)]


@dataclass(frozen=True)
class ConsentAnswers:
    keep_for_review: bool = False
    publish: bool = False
    press: bool = False
    quote: bool = False
    photo: bool = False
    credit: Credit = Credit.NONE
    age: AgeConfirmation | None = None

    def narrowed_to(self, other: ConsentAnswers) -> bool:
        """True when `other` allows nothing that these answers did not already allow."""
        order = [Credit.NONE, Credit.FIRST_NAME, Credit.FULL_NAME]
        widened = any(getattr(other, p) and not getattr(self, p) for p in PURPOSES)
        return not widened and order.index(other.credit) <= order.index(self.credit)


def check_answers(answers: ConsentAnswers, *, has_photo: bool,
                  credited_name: str) -> dict[str, Msg]:
    """Problems with the consent step, by field; empty when the story may be submitted."""
    errors: dict[str, Msg] = {}
    if not answers.keep_for_review:
        errors["keep_for_review"] = Msg(N_(
            "To send your story, allow us to keep it for review. You can say no to every other use."))
    if answers.photo and not has_photo:
        errors["photo"] = Msg(N_("You allowed the use of a photo, but no photo was added."))
    if answers.credit is Credit.FIRST_NAME and not credited_name:
        errors["credited_name"] = Msg(N_("Enter the first name you want us to use, or choose no name."))
    elif answers.credit is Credit.FULL_NAME and not credited_name:
        errors["credited_name"] = Msg(N_("Enter the name you want us to use, or choose another option."))
    if answers.age is None:
        errors["age"] = Msg(N_("Please confirm your age, or that you are a parent or guardian."))
    return errors


def record_consent(session: Session, story: Story, text: ConsentText, answers: ConsentAnswers,
                   *, change: ConsentChange, method: IntakeMethod, now: datetime) -> ConsentEvent:
    """Add one consent event and make its answers the story's current consent."""
    event = ConsentEvent(
        story=story, change=change, recorded_at=now, text_version=text.version,
        language=text.language, text_sha256=text.sha256, method=method,
        credit=answers.credit, age=answers.age,
        **{p: getattr(answers, p) for p in PURPOSES})
    session.add(event)
    story.consent_publish = answers.publish
    story.consent_press = answers.press
    story.consent_quote = answers.quote
    story.consent_photo = answers.photo
    story.credit = answers.credit
    return event


def answers_of(story: Story) -> ConsentAnswers:
    """The story's current consent as answers (for narrowing)."""
    latest = story.consent_events[-1] if story.consent_events else None
    return ConsentAnswers(
        keep_for_review=latest.keep_for_review if latest else False,
        publish=story.consent_publish, press=story.consent_press, quote=story.consent_quote,
        photo=story.consent_photo, credit=story.credit, age=latest.age if latest else None)


# What a withdrawal records: every use refused, no name.
WITHDRAWN = ConsentAnswers()
