"""Realistic fake stories for demos and benchmarks (never in production: see the CLI).

Stories come in every status, with varied consent, languages, states and years. Their words are
composed from short invented sentences, never with A-numbers, case numbers or real-looking phone
numbers; contact details use example.org and the 555-01xx numbers reserved for fiction. Withdrawn
stories, and rejected ones past the retention period, are already purged, as the portal leaves them.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from stories.search_terms import term_hash, words

from portal.db import utcnow
from portal.runtime import Runtime
from stories.consent import consent_text
from stories.models import (AgeConfirmation, ConsentChange, ConsentEvent, Connection, Credit, StoryTerm,
                            IntakeMethod, Story, StoryContact, StoryStatus)
from stories.purge import REJECTED_RETENTION_DAYS
from stories.receipts import new_receipt_code, receipt_hash

SENTENCES = {
    "en": [
        "They took my son from my arms at the processing center.",
        "For weeks nobody could tell us where my daughter was.",
        "I called every number they gave me and no one answered.",
        "My children slept on a cold floor under a foil blanket.",
        "We came asking for safety and were treated like criminals.",
        "When I finally heard my little girl's voice on the phone, I could not stop crying.",
        "My husband was deported while our kids were still in a shelter.",
        "Our family was apart for eleven months.",
        "The day we were reunited, my son did not recognize me at first.",
        "He still wakes up at night asking if the officers will come back.",
        "I am afraid every time someone knocks at our door.",
        "A volunteer lawyer helped us find each other again.",
        "I share this so that no other mother goes through what I did.",
        "Our church helped us pay for the bus ticket to see my brother.",
        "I still have hope that my whole family will be together one day.",
        "My nephew spent his eighth birthday in detention.",
    ],
    "es": [
        "Me quitaron a mi hijo de los brazos en el centro de procesamiento.",
        "Durante semanas nadie nos pudo decir dónde estaba mi hija.",
        "Llamé a todos los números que me dieron y nadie contestó.",
        "Mis hijos dormían en el piso frío con una manta de aluminio.",
        "Vinimos pidiendo protección y nos trataron como criminales.",
        "Cuando por fin escuché la voz de mi niña por teléfono, no pude dejar de llorar.",
        "Deportaron a mi esposo mientras nuestros hijos seguían en un albergue.",
        "Nuestra familia estuvo separada once meses.",
        "El día que nos reunimos, mi hijo no me reconoció al principio.",
        "Todavía se despierta de noche preguntando si van a volver los agentes.",
        "Tengo miedo cada vez que alguien toca a la puerta.",
        "Una abogada voluntaria nos ayudó a encontrarnos otra vez.",
        "Comparto esto para que ninguna otra madre pase por lo mismo.",
        "La iglesia nos ayudó a pagar el pasaje para ver a mi hermano.",
        "Todavía tengo la esperanza de que toda mi familia esté junta algún día.",
        "Mi sobrino pasó su cumpleaños número ocho en detención.",
    ],
    "pt": [
        "Separaram minha família na fronteira.",
        "Passei meses sem notícias do meu filho.",
        "Hoje estamos juntos de novo, mas o medo continua.",
        "Conto minha história para que isso não aconteça com mais ninguém.",
    ],
    "fr": [
        "On nous a séparés à la frontière.",
        "Pendant des mois, je n'ai eu aucune nouvelle de ma fille.",
        "Aujourd'hui nous sommes réunis, mais la peur reste.",
        "Je raconte mon histoire pour que cela n'arrive plus à personne.",
    ],
}
TITLES = {
    "en": ["Eleven months apart", "The phone call", "Waiting for my daughter", "We asked for safety",
           "My son's birthday", "Back together", "Still afraid", "A mother's hope",
           "The shelter", "Finding each other"],
    "es": ["Once meses separados", "La llamada", "Esperando a mi hija", "Pedimos protección",
           "El cumpleaños de mi hijo", "Juntos otra vez", "Todavía con miedo",
           "La esperanza de una madre", "El albergue", "Encontrarnos"],
    "pt": ["Sem notícias", "Juntos de novo"],
    "fr": ["Sans nouvelles", "Enfin réunis"],
}
FIRST_NAMES = ["María", "José", "Ana", "Luis", "Guadalupe", "Rosa", "Carlos", "Sofía", "Juan",
               "Elena", "Miguel", "Inés", "Marie", "Jean", "Grace", "Daniel", "Esperanza", "Tomás"]
LAST_NAMES = ["García", "Martínez", "Hernández", "López", "Rodríguez", "Pérez", "Sánchez",
              "Ramírez", "Flores", "Torres", "Rivera", "Joseph", "Pierre", "Morales"]
# Border states more often, as the stories the campaign gets.
STATES = ["TX"] * 6 + ["CA"] * 4 + ["AZ"] * 3 + ["NM"] * 2 + ["FL", "NY", "IL", "GA", "NJ", "WA",
                                                          "CO", "NC", "OR", "MA"]
STATUS_WEIGHTS = {StoryStatus.NEW: 5, StoryStatus.IN_REVIEW: 3, StoryStatus.APPROVED: 5,
                  StoryStatus.REJECTED: 2, StoryStatus.NEEDS_LEGAL_REVIEW: 1,
                  StoryStatus.WITHDRAWN: 1}


def story_text(rng: random.Random, language: str) -> tuple[str, str]:
    pool = SENTENCES[language]
    sentences = rng.sample(pool, rng.randint(min(3, len(pool)), min(7, len(pool))))
    split = rng.randint(1, len(sentences))
    paragraphs = [" ".join(sentences[:split]), " ".join(sentences[split:])]
    return rng.choice(TITLES[language]), "\n\n".join(p for p in paragraphs if p)


def add_demo_stories(runtime: Runtime, count: int, *, seed: int | None = None, days: int = 120,
                     batch: int = 2000) -> int:
    """Insert `count` stories submitted over the last `days` days; the first six cover every status."""
    if count <= 0:
        return 0
    rng = random.Random(seed)
    cipher = runtime.cipher
    now = utcnow()
    texts = {lang: consent_text(lang) for lang in ("en", "es")}
    statuses = list(StoryStatus)
    for start in range(0, count, batch):
        stories, extras = [], []
        for n in range(start, min(start + batch, count)):
            status = statuses[n] if n < len(statuses) else rng.choices(
                list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
            language = rng.choices(["en", "es", "pt", "fr"], weights=[10, 8, 1, 1])[0]
            form_language = language if language in texts else rng.choice(["en", "es"])
            submitted = now - timedelta(seconds=rng.uniform(3600, days * 86400))
            changed = submitted if status is StoryStatus.NEW else \
                submitted + (now - submitted) * rng.uniform(0.05, 1.0)
            credit = rng.choices(list(Credit), weights=[6, 3, 2])[0]
            answers = dict(keep_for_review=True, publish=rng.random() < 0.7,
                           press=rng.random() < 0.4, quote=rng.random() < 0.5, photo=False,
                           credit=credit, age=rng.choices(list(AgeConfirmation), weights=[9, 1])[0])
            title, text = story_text(rng, language)
            purged = status is StoryStatus.WITHDRAWN or (
                status is StoryStatus.REJECTED
                and now - changed > timedelta(days=REJECTED_RETENTION_DAYS))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            credited = {Credit.NONE: "", Credit.FIRST_NAME: first,
                        Credit.FULL_NAME: f"{first} {last}"}[credit]
            contact = None
            if not purged and (credited or rng.random() < 0.3):
                email = f"{first}.{n}@example.org".lower() if rng.random() < 0.7 else ""
                phone = f"+1 {rng.choice(['202', '915', '619', '602'])}-555-01{rng.randint(0, 99):02d}" \
                    if rng.random() < 0.5 else ""
                contact = dict(email_enc=cipher.encrypt(email), phone_enc=cipher.encrypt(phone),
                               credited_name_enc=cipher.encrypt(credited))
            withdrawn = status is StoryStatus.WITHDRAWN
            current = dict(answers, publish=False, press=False, quote=False,
                           credit=Credit.NONE) if withdrawn else answers
            key = receipt_hash(cipher, new_receipt_code())
            method = IntakeMethod.PAPER if rng.random() < 0.1 else IntakeMethod.WEB
            stories.append(dict(
                receipt_hash=key, status=status, language=language,
                state=rng.choice(STATES) if rng.random() < 0.8 else None,
                connection=rng.choices(list(Connection), weights=[5, 4, 2, 1])[0],
                year=rng.randint(2017, 2025) if rng.random() < 0.85 else None,
                method=method,
                title_enc=None if purged else cipher.encrypt(title),
                text_enc=None if purged else cipher.encrypt(text),
                photo_name=None, consent_publish=current["publish"],
                consent_press=current["press"], consent_quote=current["quote"],
                consent_photo=False, credit=current["credit"], submitted_at=submitted,
                status_changed_at=changed, withdrawn_at=changed if withdrawn else None,
                purged_at=changed if purged else None,
                # An approved story always has the publication version a moderator saved.
                publication_title_enc=cipher.encrypt(title) if status is StoryStatus.APPROVED else None,
                publication_text_enc=cipher.encrypt(text) if status is StoryStatus.APPROVED else None,
                approved_at=changed if status is StoryStatus.APPROVED else None,
                version=2 if status is StoryStatus.APPROVED else 1))
            extras.append((key, form_language, method, submitted, changed, answers, withdrawn,
                           contact, None if purged else f"{title}\n{text}"))
        with runtime.db.session(write=True) as session:
            session.execute(insert(Story), stories)
            ids = dict(session.execute(select(Story.receipt_hash, Story.id).where(
                Story.receipt_hash.in_([row["receipt_hash"] for row in stories]))).all())
            events, contacts, terms = [], [], []
            for key, form_language, method, submitted, changed, answers, withdrawn, contact, words_of in extras:
                if words_of:
                    terms.extend({"term": term_hash(cipher, w), "story_id": ids[key]}
                                 for w in words(words_of))
                text = texts[form_language]
                common = dict(story_id=ids[key], text_version=text.version, language=text.language,
                              text_sha256=text.sha256)
                events.append(dict(common, change=ConsentChange.GIVEN, recorded_at=submitted,
                                   method=method, **answers))
                if withdrawn:
                    events.append(dict(common, change=ConsentChange.WITHDRAWN, recorded_at=changed,
                                       method=IntakeMethod.WEB, keep_for_review=False,
                                       publish=False, press=False, quote=False, photo=False,
                                       credit=Credit.NONE, age=None))
                if contact:
                    contacts.append(dict(contact, story_id=ids[key]))
            session.execute(insert(ConsentEvent), events)
            if terms:
                session.execute(insert(StoryTerm), terms)
            if contacts:
                session.execute(insert(StoryContact), contacts)
    return count
