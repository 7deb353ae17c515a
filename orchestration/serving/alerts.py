"""A failed refresh leaves an alert: a JSON line in the warehouse folder, and a POST to a webhook when
one is configured (WAREHOUSE_ALERT_WEBHOOK)."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


def record_alert(
    alerts_path: Path, webhook: str | None, serving_path: Path, run_id: str, job_name: str, message: str
) -> dict:
    """Append the alert to ``alerts_path`` and POST it to ``webhook`` (when given); returns it."""
    alert = {
        "at": datetime.now(UTC).isoformat(),
        "run_id": run_id,
        "job": job_name,
        "message": message[:4000],
        "serving_path": str(serving_path),
    }
    alerts_path.parent.mkdir(parents=True, exist_ok=True)
    with open(alerts_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(alert, ensure_ascii=False) + "\n")
    if webhook:
        request = urllib.request.Request(
            webhook,
            data=json.dumps(alert, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except OSError as exc:  # an unreachable webhook must not hide the failure it reports
            log.warning("alert webhook %s failed: %s", webhook, exc)
    return alert
