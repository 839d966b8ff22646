"""Which period a report covers, and the claim that makes each period go out once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.reports.digest import STALE_CLAIM, ReportState
from api.reports.figures import period_window


@pytest.mark.parametrize(("period", "now", "back", "since", "until", "label"), [
    ("week", datetime(2026, 11, 18, 9, tzinfo=UTC), 1, "2026-11-09", "2026-11-16", "2026-W46"),
    ("week", datetime(2026, 11, 16, tzinfo=UTC), 1, "2026-11-09", "2026-11-16", "2026-W46"),
    ("week", datetime(2026, 1, 5, tzinfo=UTC), 2, "2025-12-22", "2025-12-29", "2025-W52"),
    ("day", datetime(2026, 3, 1, 0, 5, tzinfo=UTC), 1, "2026-02-28", "2026-03-01", "2026-02-28"),
    ("month", datetime(2026, 1, 15, tzinfo=UTC), 1, "2025-12-01", "2026-01-01", "2025-12"),
    ("month", datetime(2026, 3, 31, tzinfo=UTC), 2, "2026-01-01", "2026-02-01", "2026-01"),
])
def test_the_last_complete_period_and_the_one_before(period, now, back, since, until,
                                                    label) -> None:
    window = period_window(period, now, back=back)
    assert (window.since.date().isoformat(), window.until.date().isoformat(),
            window.label) == (since, until, label)


def test_a_period_is_claimed_once_and_a_stale_claim_is_taken_over(tmp_path: Path) -> None:
    now = datetime(2026, 11, 18, tzinfo=UTC)
    state = ReportState(tmp_path / "mentionwatch.db")
    assert state.claim("Acme week", "2026-W46", now)
    assert not state.claim("Acme week", "2026-W46", now)  # another run is sending it
    assert state.claim("Acme week", "2026-W46", now + STALE_CLAIM + timedelta(seconds=1))
    state.sent("Acme week", "2026-W46", now)
    assert not state.claim("Acme week", "2026-W46", now + timedelta(days=3))
    assert state.claim("Acme day", "2026-W46", now)
    state.close()
