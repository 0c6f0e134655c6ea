"""Settings of the benchmark server: the product's, plus the bare baseline view's URLs.

    DJANGO_SETTINGS_MODULE=bench.settings uv run gunicorn -c sparkloop/gunicorn_conf.py \
        sparkloop.wsgi

The bare view (bench/bare_urls.py) lives only here, never in the product's URLs.
"""

from __future__ import annotations

from sparkloop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
