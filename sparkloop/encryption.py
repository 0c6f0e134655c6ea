"""Secrets encrypted at rest: Fernet with keys from FIELD_ENCRYPTION_KEY, or from SECRET_KEY.

`FIELD_ENCRYPTION_KEY` is a comma-separated list of Fernet keys: the first encrypts, every
one decrypts (rotation: put a new key first, run `manage.py reencrypt_secrets`, then drop the
old one). With none set, a key is derived from `SECRET_KEY` (HKDF-SHA256), and the keys
derived from `SECRET_KEY_FALLBACKS` decrypt too, so that rotating SECRET_KEY the Django way
keeps the data readable. Derived keys always decrypt, even once FIELD_ENCRYPTION_KEY is set,
so that a deployment that started without it can move to it by re-encrypting.

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256, a random IV each time: equal secrets do
not look equal, and encrypted columns cannot be searched). Decryption is cached per token, so
a busy worker decrypts each endpoint's secret once, not once per delivery.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# A SECRET_KEY shorter than this, or with fewer distinct characters than the next, is too
# weak to derive an encryption key from (Django's own deploy check asks for 50 and 5).
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_UNIQUE = 5

KEY_INVALID = (
    "FIELD_ENCRYPTION_KEY must be a comma-separated list of Fernet keys (32 url-safe base64 "
    "bytes each); generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)
KEY_MISSING = (
    "FIELD_ENCRYPTION_KEY is not set and SECRET_KEY is too short or too simple to derive an "
    "encryption key from (DEBUG is off): set FIELD_ENCRYPTION_KEY (see docs/webhooks.md, "
    "Secrets at rest) or a long random SECRET_KEY"
)
UNDECRYPTABLE = (
    "A value in the database cannot be decrypted with any key of FIELD_ENCRYPTION_KEY "
    "(or derived from SECRET_KEY / SECRET_KEY_FALLBACKS): was a key removed too early?"
)


def _configured_keys() -> tuple[str, ...]:
    value: Any = getattr(settings, "FIELD_ENCRYPTION_KEY", None) or ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(key.strip() for key in value if key and key.strip())


def _key_config() -> tuple[tuple[str, ...], str, tuple[str, ...], bool]:
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _configured_keys(), str(settings.SECRET_KEY), fallbacks, bool(settings.DEBUG)


def derive_key(secret_key: str) -> bytes:
    """The Fernet key derived from a SECRET_KEY (HKDF-SHA256, a fixed purpose label)."""
    raw = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"sparkloop.encryption",
        info=b"field-encryption-key",
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def secret_key_is_weak(secret_key: str) -> bool:
    return len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < MIN_SECRET_KEY_UNIQUE


@lru_cache(maxsize=8)
def _crypter(config: tuple[tuple[str, ...], str, tuple[str, ...], bool]) -> MultiFernet:
    configured, secret_key, fallbacks, debug = config
    try:
        keys = [Fernet(key.encode()) for key in configured]
    except (ValueError, TypeError):
        raise ImproperlyConfigured(KEY_INVALID) from None
    if not keys and secret_key_is_weak(secret_key) and not debug:
        raise ImproperlyConfigured(KEY_MISSING)
    keys += [Fernet(derive_key(secret)) for secret in (secret_key, *fallbacks) if secret]
    return MultiFernet(keys)


def crypter() -> MultiFernet:
    """The keys in force: encrypts with the first, decrypts with any. Raises
    ImproperlyConfigured for a malformed FIELD_ENCRYPTION_KEY, or none and a weak SECRET_KEY
    with DEBUG off (checked at startup by the webhooks app)."""
    return _crypter(_key_config())


def encrypt_str(value: str) -> str:
    return crypter().encrypt(value.encode()).decode()


@lru_cache(maxsize=4096)
def _decrypt(token: str, config: tuple[tuple[str, ...], str, tuple[str, ...], bool]) -> str:
    try:
        return _crypter(config).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(UNDECRYPTABLE) from None


def decrypt_str(token: str) -> str:
    """The plain text of a token made by `encrypt_str` (cached: tokens never change)."""
    return _decrypt(token, _key_config())


def reencrypt_str(token: str) -> str:
    """The same plain text, encrypted with the first key now (MultiFernet.rotate)."""
    try:
        return crypter().rotate(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(UNDECRYPTABLE) from None


class EncryptedTextField(models.TextField[str, str]):
    """Text kept encrypted in the database and plain in Python. "" stays "" (no secret).

    Not searchable (every encryption differs). Raw SQL reads the token: decrypt it with
    `decrypt_str`.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt_str(value)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with encrypted fields, and the names of those fields."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def reencrypt_all(*, batch_size: int = 500) -> dict[str, int]:
    """Encrypt every encrypted value again with the first key (after a new one was put
    first in FIELD_ENCRYPTION_KEY), in batches of one transaction each; returns the rows
    rewritten per model. Safe to run again, and while the service runs (a row written in
    between is encrypted with the first key already)."""
    from django.db import transaction

    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        label, last_pk, done = model._meta.label, 0, 0
        while True:
            with transaction.atomic():
                rows = list(
                    model._default_manager.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *names)[:batch_size]
                )
                if not rows:
                    break
                # Read decrypts with any key; saving encrypts with the first.
                model._default_manager.bulk_update(rows, names)
            last_pk, done = rows[-1].pk, done + len(rows)
        counts[label] = done
    return counts
