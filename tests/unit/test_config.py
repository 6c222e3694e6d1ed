"""Configuration from the environment and the secrets file."""

from __future__ import annotations

import stat

import pytest

from portal.config import ConfigError, load_config
from portal.keys import KEY_FILE_NAME, MissingKeyError
from tests.conftest import portal_environ


def test_defaults_give_a_working_local_install(data_dir):
    env = {"PORTAL_DATA_DIR": str(data_dir), "PORTAL_SECRETS_FILE": str(data_dir / "none.toml")}
    config = load_config(env)
    assert config.env == "development"
    assert config.database_url == f"sqlite:///{data_dir / 'portal.db'}"
    assert config.smtp is None and config.delivers_to_files
    assert config.outbox_dir == data_dir / "outbox"
    # No key configured: one is generated once, readable by the owner only, and reused.
    key_file = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config(env).encryption_keys == config.encryption_keys


def test_production_without_keys_refuses_to_start(data_dir):
    env = {"PORTAL_ENV": "production", "PORTAL_DATA_DIR": str(data_dir),
           "PORTAL_SECRETS_FILE": str(data_dir / "none.toml")}
    with pytest.raises(MissingKeyError):
        load_config(env)
    assert not (data_dir / KEY_FILE_NAME).exists()


def test_secrets_file_is_read_and_the_environment_wins(data_dir):
    secrets = data_dir / "secrets.toml"
    secrets.write_text(
        'public_url = "https://letters.example.org/"\n'
        '[smtp]\nhost = "smtp.example.org"\nsecurity = "ssl"\nusername = "u"\npassword = "s3cret-pass"\n'
        '[offices.president]\nholder = "Jane Doe"\nemail = "wh@example.org"\n')
    env = portal_environ(data_dir, PORTAL_SECRETS_FILE=str(secrets),
                         PORTAL_OFFICES_DHS_SECRETARY_HOLDER="John Roe",
                         PORTAL_SMTP_PORT="2465")
    config = load_config(env)
    assert config.public_url == "https://letters.example.org"
    assert (config.smtp.host, config.smtp.port, config.smtp.security) == ("smtp.example.org", 2465, "ssl")
    assert "s3cret-pass" not in repr(config.smtp) and config.smtp.password == "s3cret-pass"  # the password never shows in a log of the settings
    president, secretary = config.offices["president"], config.offices["dhs_secretary"]
    assert president.email == "wh@example.org"
    assert president.greeting("en") == "Dear Jane Doe,"
    assert president.greeting("es") == "Estimado/a Jane Doe:"
    assert secretary.greeting("en") == "Dear John Roe,"
    assert config.offices["president"].title["es"]


def test_office_without_holder_uses_the_office_greeting(config):
    assert config.offices["president"].greeting("en") == "Dear President,"
    assert config.offices["dhs_secretary"].greeting("es") == "A la Secretaría de Seguridad Nacional:"


@pytest.mark.parametrize("name,value,fragment", [
    ("PORTAL_ENV", "staging", "env"),
    ("PORTAL_SMTP_SECURITY", "tls-maybe", "smtp.security"),
    ("PORTAL_MIN_SUBMIT_SECONDS", "three", "min_submit_seconds"),
])
def test_bad_settings_name_themselves(data_dir, name, value, fragment):
    env = portal_environ(data_dir, PORTAL_SMTP_HOST="smtp.example.org", **{name: value})
    with pytest.raises(ConfigError, match=fragment):
        load_config(env)


def test_malformed_secrets_file_is_reported(data_dir):
    bad = data_dir / "secrets.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="secrets.toml"):
        load_config(portal_environ(data_dir, PORTAL_SECRETS_FILE=str(bad)))
