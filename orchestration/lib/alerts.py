"""A failed refresh leaves an alert: a JSON line in the warehouse folder, and a POST to a webhook when
one is configured (WAREHOUSE_ALERT_WEBHOOK)."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, datetime

from orchestration.config import Settings

log = logging.getLogger(__name__)


def record_alert(settings: Settings, run_id: str, job_name: str, message: str) -> dict:
    alert = {
        "at": datetime.now(UTC).isoformat(),
        "run_id": run_id,
        "job": job_name,
        "message": message[:4000],
        "serving_path": str(settings.serving_path),
    }
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.alerts_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(alert, ensure_ascii=False) + "\n")
    if settings.alert_webhook:
        request = urllib.request.Request(
            settings.alert_webhook,
            data=json.dumps(alert, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except OSError as exc:  # an unreachable webhook must not hide the failure it reports
            log.warning("alert webhook %s failed: %s", settings.alert_webhook, exc)
    return alert
