"""Admin tests log in through pytest-django's `admin_client` (force_login of a superuser)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def admin_user(db: None, django_user_model: Any) -> Any:
    # No password: hashing one (PBKDF2, a million rounds) would cost every test ~1 s.
    return django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password=None
    )
