"""The /metrics page: the counters of `gateway/metrics.py` (of every worker in multiprocess mode), then the
outbox figures, read from the database when Prometheus scrapes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func
from sqlmodel import col, select

from gateway.metrics import MULTIPROC_ENV
from store.db import Database
from store.models import OutboxMessage, OutboxStatus

_WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.UNSURE.value)


class OutboxCollector(Collector):
    """Outbox depth and the age of the oldest message due, read from the database when scraped."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "mentor_bot_outbox_depth", "Outbox messages not yet sent, by status.", labels=["status"]
        )
        age = GaugeMetricFamily(
            "mentor_bot_outbox_oldest_due_age_seconds",
            "Seconds the oldest message that is due has been waiting (0 when none is due).",
        )
        now = datetime.now(UTC)
        try:
            with self.db.session() as session:
                counts = dict(
                    session.exec(
                        select(OutboxMessage.status, func.count())
                        .where(col(OutboxMessage.status).in_(_WAITING))
                        .group_by(OutboxMessage.status)
                    ).all()
                )
                oldest = session.exec(
                    select(func.min(OutboxMessage.not_before)).where(
                        OutboxMessage.status == OutboxStatus.PENDING.value, col(OutboxMessage.not_before) <= now
                    )
                ).first()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down; /readyz says so
            return
        for status in _WAITING:
            depth.add_metric([status], float(counts.get(status, 0)))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        yield depth
        yield age


def exposition(db: Database) -> tuple[bytes, str]:
    """The text Prometheus scrapes: this process's counts, or every process's in multiprocess mode, then the
    outbox figures read from the database now."""
    if os.environ.get(MULTIPROC_ENV):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    live = CollectorRegistry()
    live.register(OutboxCollector(db))
    return generate_latest(counted) + generate_latest(live), CONTENT_TYPE_LATEST
