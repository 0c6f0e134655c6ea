"""Partner earnings: admin pages (writes through the services; permissions on every action)."""

from __future__ import annotations
