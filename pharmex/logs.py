"""Log lines as JSON in production: one object per line, for the log collector to index without parsing text.

The fields are `time` (UTC, ISO 8601), `level`, `logger`, `request_id`, `user_id` and `organization_id` (null where
unknown: a job, a request before authentication), `message`, and `exception` (the traceback) when there is one.
`LOG_FORMAT=plain` (the default outside production, so `make run`) writes the same as text. Thirty lines over
`json.dumps` did not warrant a dependency.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": None if request_id in (None, "-") else request_id,
            "user_id": getattr(record, "user_id", None),
            "organization_id": getattr(record, "organization_id", None),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii=False keeps Chinese readable; json.dumps escapes newlines, so a traceback stays on its line.
        return json.dumps(entry, ensure_ascii=False, default=str)
