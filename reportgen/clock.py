"""The one place that reads the clock. Times are in Asia/Ho_Chi_Minh whatever the
server's timezone; ``REPORTGEN_NOW`` (ISO date or datetime) freezes the clock for
tests, demonstrations and re-running a past day."""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")

__all__ = ["VN", "now", "today", "to_vn"]


def now() -> datetime:
    """The current time in Vietnam (timezone-aware)."""
    frozen = os.environ.get("REPORTGEN_NOW")
    if frozen:
        value = datetime.fromisoformat(frozen.strip())
        return value.replace(tzinfo=VN) if value.tzinfo is None else value.astimezone(VN)
    return datetime.now(VN)


def today() -> date:
    return now().date()


def to_vn(moment: datetime) -> datetime:
    """A datetime in Vietnam time; naive values are taken as already Vietnamese."""
    return moment.replace(tzinfo=VN) if moment.tzinfo is None else moment.astimezone(VN)
