"""Admin tests here log in as in tests/admin: a superuser without a password to hash."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def admin_user(db: None, django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password=None
    )
