"""Configuration, read from the environment and `.streamlit/secrets.toml`.

The environment wins over the secrets file, so an operator can override one value for one run
without editing files. Nothing here imports Streamlit: the command line reads the same settings.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "production", "test")
SMTP_SECURITY = ("starttls", "ssl", "none")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Office:
    """An office a letter is addressed to. The holder's name changes with elections, so it lives here."""

    id: str
    title: Mapping[str, str]
    holder: str
    email: str
    phone: str
    # Salutations per language; "{holder}" is replaced by the holder's name.
    salutation: Mapping[str, str]
    salutation_no_holder: Mapping[str, str]

    def greeting(self, language: str) -> str:
        """The salutation line for a letter in `language`."""
        if self.holder:
            return self.salutation[language].format(holder=self.holder)
        return self.salutation_no_holder[language]


DEFAULT_OFFICES: dict[str, dict[str, Any]] = {
    "president": {
        "title_en": "President of the United States",
        "title_es": "Presidencia de los Estados Unidos",
        "holder": "",
        "email": "president@letters.invalid",
        "phone": "202-456-1111",
        "salutation_en": "Dear {holder},",
        "salutation_es": "Estimado/a {holder}:",
        "salutation_no_holder_en": "Dear President,",
        "salutation_no_holder_es": "A la Presidencia de los Estados Unidos:",
    },
    "dhs_secretary": {
        "title_en": "Secretary of Homeland Security",
        "title_es": "Secretaría de Seguridad Nacional",
        "holder": "",
        "email": "dhs-secretary@letters.invalid",
        "phone": "202-282-8000",
        "salutation_en": "Dear {holder},",
        "salutation_es": "Estimado/a {holder}:",
        "salutation_no_holder_en": "Dear Secretary,",
        "salutation_no_holder_es": "A la Secretaría de Seguridad Nacional:",
    },
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    timeout: float


@dataclass(frozen=True)
class Config:
    env: str
    data_dir: Path
    database_url: str
    public_url: str
    mail_from: str
    smtp: SmtpSettings | None
    offices: Mapping[str, Office]
    encryption_keys: tuple[str, ...] = field(repr=False)
    lookup_key: str = field(repr=False)
    templates_dir: Path
    min_submit_seconds: float
    letters_per_minute: int
    busy_timeout_seconds: float
    deliver_poll_seconds: float

    @property
    def outbox_dir(self) -> Path:
        """Where letters go as .eml files when no SMTP server is configured."""
        return self.data_dir / "outbox"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def delivers_to_files(self) -> bool:
        return self.smtp is None


def _load_secrets(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


class _Source:
    """Looks a setting up in the environment (PORTAL_NAME) and then in the secrets file (name)."""

    def __init__(self, environ: Mapping[str, str], secrets: Mapping[str, Any]):
        self.environ = environ
        self.secrets = secrets

    def get(self, name: str, default: Any = None, table: str | None = None) -> Any:
        env_name = "PORTAL_" + (f"{table}_{name}" if table else name).upper().replace(".", "_")
        if env_name in self.environ and self.environ[env_name] != "":
            return self.environ[env_name]
        section: Any = self.secrets
        for part in (table.split(".") if table else []):
            section = section.get(part, {}) if isinstance(section, Mapping) else {}
        if isinstance(section, Mapping) and name in section:
            return section[name]
        return default

    def number(self, name: str, default: float, table: str | None = None) -> float:
        raw = self.get(name, default, table)
        try:
            return float(raw)
        except (TypeError, ValueError) as exc:
            label = f"{table}.{name}" if table else name
            raise ConfigError(f"setting {label} must be a number, got {raw!r}") from exc


def _offices(src: _Source) -> dict[str, Office]:
    offices = {}
    for office_id, defaults in DEFAULT_OFFICES.items():
        table = f"offices.{office_id}"

        def pick(key: str, _defaults: dict = defaults, _table: str = table) -> str:
            return str(src.get(key, _defaults[key], _table))

        offices[office_id] = Office(
            id=office_id,
            title={"en": pick("title_en"), "es": pick("title_es")},
            holder=pick("holder"),
            email=pick("email"),
            phone=pick("phone"),
            salutation={"en": pick("salutation_en"), "es": pick("salutation_es")},
            salutation_no_holder={
                "en": pick("salutation_no_holder_en"),
                "es": pick("salutation_no_holder_es"),
            },
        )
    return offices


def _smtp(src: _Source) -> SmtpSettings | None:
    host = src.get("host", "", "smtp")
    if not host:
        return None
    security = str(src.get("security", "starttls", "smtp")).lower()
    if security not in SMTP_SECURITY:
        raise ConfigError(f"setting smtp.security must be one of {', '.join(SMTP_SECURITY)}")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    return SmtpSettings(
        host=str(host),
        port=int(src.number("port", default_port, "smtp")),
        security=security,
        username=str(src.get("username", "", "smtp")),
        password=str(src.get("password", "", "smtp")),
        timeout=src.number("timeout", 30, "smtp"),
    )


def load_config(environ: Mapping[str, str] | None = None, secrets_path: Path | None = None) -> Config:
    """Build the configuration from the environment and the secrets file."""
    environ = os.environ if environ is None else environ
    if secrets_path is None:
        secrets_path = Path(
            environ.get("PORTAL_SECRETS_FILE", PROJECT_ROOT / ".streamlit" / "secrets.toml")
        )
    src = _Source(environ, _load_secrets(secrets_path))

    env = str(src.get("env", "development")).lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"setting env must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    data_dir = Path(src.get("data_dir", PROJECT_ROOT / "data")).resolve()
    database_url = str(src.get("database_url", f"sqlite:///{data_dir / 'portal.db'}"))

    from portal.keys import load_keys  # local import: keys may create files under data_dir

    encryption_keys, lookup_key = load_keys(src.get("encryption_keys", ""), src.get("lookup_key", ""),
                                            data_dir, production=(env == "production"))
    return Config(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        public_url=str(src.get("public_url", "http://localhost:8501")).rstrip("/"),
        mail_from=str(src.get("mail_from", "Families Together Portal <letters@portal.invalid>")),
        smtp=_smtp(src),
        offices=_offices(src),
        encryption_keys=encryption_keys,
        lookup_key=lookup_key,
        templates_dir=Path(src.get("templates_dir", PROJECT_ROOT / "letter_templates")),
        min_submit_seconds=src.number("min_submit_seconds", 3),
        letters_per_minute=int(src.number("letters_per_minute", 5)),
        busy_timeout_seconds=src.number("busy_timeout_seconds", 5),
        deliver_poll_seconds=src.number("deliver_poll_seconds", 5),
    )
