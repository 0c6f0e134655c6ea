"""Partner earnings: input serializers (shape only) and the wire objects' renderers."""

from __future__ import annotations
