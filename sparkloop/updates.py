"""Partial updates of a model instance: one sentinel and one helper for every service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

# The default of an update service's optional keyword: "not given", distinct from None.
UNSET: Any = object()

M = TypeVar("M", bound=models.Model)


def model_update(
    *, instance: M, fields: Iterable[str], data: Mapping[str, Any], save: bool = True
) -> tuple[M, list[str]]:
    """Set each of `fields` that `data` gives (and is not UNSET) whose value differs.

    Returns the instance and the names of the fields that changed; saves only those (plus
    `updated_at` when the model has it), and nothing at all when none changed.
    """
    changed = []
    for field in fields:
        if field in data and data[field] is not UNSET and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if changed and save:
        update_fields = list(changed)
        if any(f.name == "updated_at" for f in instance._meta.get_fields()):
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    return instance, changed
