"""Template tags of the admin index (`{% team_numbers %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from sparkloop.dashboard import team_rows

register = template.Library()


@register.inclusion_tag("admin/sparkloop_team_numbers.html")
def team_numbers() -> dict[str, Any]:
    labels, rows = team_rows()
    return {"labels": labels, "rows": rows}
