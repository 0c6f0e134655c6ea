"""LOG_FORMAT=json: one JSON object a line, the access line naming request, team and route."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from sparkloop.logs import logging_config
from sparkloop.models import Team
from tests.clients import KeyedClient

pytestmark = pytest.mark.django_db


class Output(io.StringIO):
    def lines(self) -> list[dict[str, Any]]:
        """The JSON objects written since the last call, one a line."""
        text, _ = self.getvalue(), self.truncate(0)
        self.seek(0)
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def json_logs() -> Iterator[Output]:
    """The project's logging with LOG_FORMAT=json, its console writing to `Output`."""
    output = Output()
    config = logging_config(fmt="json", level="INFO")
    config["handlers"]["console"]["stream"] = output
    logging.config.dictConfig(config)
    yield output
    logging.config.dictConfig(django_settings.LOGGING)


def test_a_request_writes_one_json_access_line(
    json_logs: Output, api_client: KeyedClient, team: Team
) -> None:

    api_client.get("/v2/subscribers/sub_nobody", HTTP_X_REQUEST_ID="trace-9")

    lines = json_logs.lines()
    (access,) = [line for line in lines if line["logger"] == "sparkloop.access"]
    assert access["request_id"] == "trace-9"
    assert access["team"] == team.public_id
    assert access["route"] == "/v2/subscribers/{pk}"
    assert access["status"] == 404
    assert access["method"] == "GET"
    assert isinstance(access["duration_ms"], float)
    assert access["level"] == "INFO"
    assert str(access["time"]).endswith("+00:00")
    assert access["message"].startswith("GET /v2/subscribers/sub_nobody 404")


def test_every_line_is_json_even_an_error(json_logs: Output) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("sparkloop.test").exception("it broke\non two lines")

    (line,) = json_logs.lines()
    assert line["message"] == "it broke\non two lines"
    assert "ValueError: boom" in line["exc_info"]
    assert line["request_id"] == "-"


def test_probes_log_at_debug_only(json_logs: Output, client) -> None:

    client.get("/healthz")

    assert not [line for line in json_logs.lines() if line["logger"] == "sparkloop.access"]


def test_beat_routine_task_lines_drop_to_debug(json_logs: Output) -> None:
    beat = logging.getLogger("celery.beat")
    beat.info(
        "Scheduler: Sending due task %s (%s)",
        "webhooks-sweep",
        "webhooks.tasks.webhook_delivery_sweep_task",
    )
    beat.info("Scheduler: Sending due task %s (%s)", "custom", "reports.tasks.monthly_task")

    (line,) = json_logs.lines()
    assert "reports.tasks.monthly_task" in line["message"]


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of text, json"):
        logging_config(fmt="xml", level="INFO")
