"""Realistic fake letters for demos and benchmarks (never in production: see the CLI)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from letters.compose import draft_text, office_letter
from letters.models import CampaignTally, DeliveryStatus, Letter, OutboxMessage
from letters.sender import Sender
from portal.db import utcnow
from portal.runtime import Runtime

FIRST_NAMES = ["María", "José", "Ana", "Luis", "Guadalupe", "James", "Mary", "Aisha", "Wei", "Linh",
               "Fatima", "Carlos", "Rosa", "David", "Sofía", "Ahmed", "Emily", "Juan", "Grace",
               "Miguel", "Priya", "Kwame", "Elena", "Daniel", "Nguyễn", "Olga", "Samuel", "Inés"]
LAST_NAMES = ["García", "Martínez", "Hernández", "Smith", "Johnson", "López", "Nguyen", "Kim",
              "Williams", "Rodríguez", "Brown", "Pérez", "Okafor", "Chen", "Davis", "Sánchez",
              "Cohen", "Ramírez", "Patel", "Flores", "Miller", "Torres", "Jackson", "Rivera"]
PLACES = [("El Paso", "TX", "79901"), ("San Diego", "CA", "92101"), ("Phoenix", "AZ", "85004"),
          ("Albuquerque", "NM", "87102"), ("Houston", "TX", "77002"), ("Chicago", "IL", "60601"),
          ("New York", "NY", "10001"), ("Miami", "FL", "33130"), ("Seattle", "WA", "98101"),
          ("Denver", "CO", "80202"), ("Atlanta", "GA", "30303"), ("Philadelphia", "PA", "19103"),
          ("Minneapolis", "MN", "55401"), ("Boston", "MA", "02108"), ("Detroit", "MI", "48226"),
          ("Charlotte", "NC", "28202"), ("Los Angeles", "CA", "90012"), ("Tucson", "AZ", "85701"),
          ("Brownsville", "TX", "78520"), ("Portland", "OR", "97204"), ("Omaha", "NE", "68102"),
          ("Richmond", "VA", "23219"), ("Las Vegas", "NV", "89101"), ("Nashville", "TN", "37203")]
PARAGRAPHS = ["", "", "My grandparents crossed this border to build a life here. No child should "
              "be taken from a parent seeking safety.",
              "I am a teacher, and I see every day what fear does to children.",
              "Como madre, no puedo imaginar que me quiten a mis hijos. Las familias deben estar juntas."]


def add_demo_letters(runtime: Runtime, count: int, *, seed: int | None = None,
                     days: int = 60, batch: int = 2000) -> int:
    """Insert `count` letters spread over the last `days` days, with delivered outbox rows."""
    campaigns = list(runtime.campaigns)
    if not campaigns or count == 0:
        return 0
    rng = random.Random(seed)
    cipher = runtime.cipher
    now = utcnow()
    tallies: dict[str, int] = {}
    run = f"{rng.getrandbits(48):012x}"
    for start in range(0, count, batch):
        letters, messages = [], []
        for n in range(start, min(start + batch, count)):
            campaign = rng.choice(campaigns)
            language = rng.choices(["en", "es"], weights=[3, 1])[0]
            city, state, zip_code = rng.choice(PLACES)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{run}{n}@example.org".lower()
            sender = Sender(first_name=first, last_name=last, email=email, city=city, state=state,
                            zip_code=zip_code, personal_paragraph=rng.choice(PARAGRAPHS))
            text = draft_text(campaign.text(language), sender)
            when = now - timedelta(seconds=rng.uniform(0, days * 86400))
            letters.append(dict(
                campaign_id=campaign.id, language=language, idempotency_key=f"demo-{run}-{n}",
                email_hash=cipher.lookup_hash(email), first_name_enc=cipher.encrypt(first),
                last_name_enc=cipher.encrypt(last), email_enc=cipher.encrypt(email),
                city=city, state=state, zip_code=zip_code, text_enc=cipher.encrypt(text),
                edited=False, opt_in=rng.random() < 0.4, created_at=when, updated_at=when))
            tallies[campaign.id] = tallies.get(campaign.id, 0) + 1
            for office_id in campaign.recipients:
                office = runtime.config.offices[office_id]
                # Demo rows are never pending: a worker must not mail fake letters to real offices.
                failed = rng.random() < 0.02
                messages.append(dict(
                    key=f"demo-{run}-{n}", office_id=office_id, recipient=office.email,
                    subject=campaign.text(language).subject,
                    body_enc=cipher.encrypt(office_letter(office, language, text)),
                    status=DeliveryStatus.FAILED if failed else DeliveryStatus.SENT,
                    attempts=1, next_attempt_at=when, first_attempt_at=when,
                    sent_at=None if failed else when + timedelta(minutes=1),
                    last_error="550 5.1.1 mailbox unavailable (demo)" if failed else None,
                    created_at=when))
        with runtime.db.session(write=True) as session:
            session.execute(insert(Letter), letters)
            ids = dict(session.execute(select(Letter.idempotency_key, Letter.id).where(
                Letter.idempotency_key.in_([row["idempotency_key"] for row in letters]))).all())
            for message in messages:
                message["letter_id"] = ids[message.pop("key")]
            session.execute(insert(OutboxMessage), messages)
    with runtime.db.session(write=True) as session:
        for campaign_id, added in tallies.items():
            tally = session.get(CampaignTally, campaign_id)
            if tally is None:
                session.add(CampaignTally(campaign_id=campaign_id, letters=added))
            else:
                tally.letters += added
    return count
