"""Rotating the encryption key: everything still opens with the new key alone."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

import letters.models  # noqa: F401
import stories.models  # noqa: F401
from letters.models import Letter, OutboxMessage
from letters.sender import Sender
from letters.submit import LetterDraft, submit_letter
from portal.config import load_config
from portal.key_rotation import encrypted_columns, rotate_keys
from portal.runtime import open_runtime
from tests.conftest import TEST_KEY, portal_environ


def test_every_encrypted_column_is_found():
    names = {f"{t.name}.{c.name}" for t, _pk, cols in encrypted_columns() for c in cols}
    assert {"letters.email_enc", "letters.text_enc", "outbox.body_enc", "stories.text_enc",
            "story_contacts.email_enc", "story_contacts.credited_name_enc"} <= names


def test_after_rotation_the_old_key_can_be_dropped(data_dir):
    old = open_runtime(load_config(portal_environ(data_dir)))
    sender = Sender("Ana", "Ruiz", "ana@example.org", "Tucson", "AZ", "85701", phone="520-555-0101")
    submit_letter(old, LetterDraft("end-family-separation", "en", sender, "Please act.", False,
                                   False, "k1"))
    photos = data_dir / "photos"
    photos.mkdir()
    (photos / ("ab" * 16 + ".bin")).write_bytes(Fernet(TEST_KEY).encrypt(b"pixels"))
    old.db.dispose()

    new_key = Fernet.generate_key().decode()
    both = open_runtime(load_config(portal_environ(data_dir, PORTAL_ENCRYPTION_KEYS=f"{new_key},{TEST_KEY}")))
    report = rotate_keys(both, photos_dir=photos)
    both.db.dispose()
    assert report.fields >= 6 and report.files == 1

    only_new = open_runtime(load_config(portal_environ(data_dir, PORTAL_ENCRYPTION_KEYS=new_key)))
    with only_new.db.session() as s:
        letter = s.scalar(select(Letter))
        assert only_new.cipher.decrypt(letter.email_enc) == "ana@example.org"
        assert only_new.cipher.decrypt(letter.phone_enc) == "520-555-0101"
        bodies = [only_new.cipher.decrypt(m.body_enc) for m in s.scalars(select(OutboxMessage))]
    assert all(b.endswith("Please act.") for b in bodies)
    assert Fernet(new_key).decrypt((photos / ("ab" * 16 + ".bin")).read_bytes()) == b"pixels"
    try:
        Fernet(TEST_KEY).decrypt((photos / ("ab" * 16 + ".bin")).read_bytes())
        raise AssertionError("the photo still opens with the old key")
    except InvalidToken:
        pass
    only_new.db.dispose()
