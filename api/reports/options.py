"""The watchlist's `[[reports]]` tables: their options, and their check against the
watchlist. Kept apart from the rendering so reading a watchlist never loads matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from api.alerts.notifiers import EmailOptions, refusal

if TYPE_CHECKING:
    from api.watchlist import WatchlistFile

__all__ = ["Period", "ReportConfigError", "ReportOptions", "configured_reports"]

#: day: a UTC day; week: an ISO week, Monday to Monday; month: a calendar month.
Period = Literal["day", "week", "month"]


class ReportConfigError(ValueError):
    """Raised for `[[reports]]` that do not fit the watchlist (an unknown brand, a repeated
    name, a username that would go out without TLS)."""


class ReportOptions(EmailOptions):
    """A `[[reports]]` table: whose report, how often, and the email notifier's options
    (`smtp`, `sender`, `to`, `starttls`, `username`, `password_env`,
    `allow_plaintext_auth`), checked as the notifier checks them."""

    type: Literal["email"] = "email"
    brand: str = Field(min_length=1)
    period: Period = "week"
    # What the sends are remembered by; defaults to "<brand> <period>".
    name: str | None = Field(default=None, min_length=1)

    @property
    def key(self) -> str:
        return self.name or f"{self.brand} {self.period}"


def configured_reports(watchlist: WatchlistFile, *,
                       allow_loopback: bool = False) -> list[ReportOptions]:
    """The watchlist's `[[reports]]` with each brand spelt as the watchlist spells it;
    ReportConfigError for a brand it does not watch, two reports of one name, or mail
    options the email notifier refuses."""
    known = {b.name.casefold(): b.name for b in watchlist.brands}
    seen: set[str] = set()
    checked = []
    for n, options in enumerate(watchlist.reports):
        if options.brand.casefold() not in known:
            raise ReportConfigError(f"reports[{n}].brand: {options.brand!r} is not a brand of "
                                    f"the watchlist ({', '.join(known.values())})")
        options = options.model_copy(update={"brand": known[options.brand.casefold()]})
        if options.key in seen:
            raise ReportConfigError(f"reports[{n}]: two reports are named {options.key!r}; "
                                    "give one a `name`")
        seen.add(options.key)
        if problem := refusal(options, allow_loopback=allow_loopback):
            raise ReportConfigError(f"reports[{n}].{problem}")
        checked.append(options)
    return checked
