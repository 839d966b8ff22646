"""Alert routes: the history, the watchlist's rules (admins edit them), and a dry run of
a rule over the past ("what would have fired last month")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel

from api.alerts.config import AlertConfigError, configured_rules
from api.alerts.manage import delete_rule, put_rule
from api.alerts.notifiers import NotifierOptions, URLOptions, redact_url
from api.alerts.rules import AlertOptions
from api.alerts.runner import AlertRunner
from api.alerts.state import AlertState
from api.deps import SettingsDep, StoreDep, require
from api.models import Instant
from api.watchlist import WatchlistFile, load_watchlist
from index.arguments import window
from index.watchlist import WatchlistError

__all__ = ["router"]

router = APIRouter(prefix="/alerts", tags=["alerts"])

#: How far back a dry run may look: the rules' longest baseline is 28 days, and a longer
#: look back would make one request judge months of hours.
MAX_DRY_RUN = timedelta(days=92)
# What a rule looks at around its window (a baseline of at most 28 days before, a
# rating_drop's two windows of at most 90 days each, an advocate's history of at most 365
# days; the hour after): more than that, so a window at the edge of datetime's range is a 400.
_HISTORY_REACH = timedelta(days=366)

RuleName = Annotated[str, Path(pattern=r"^[\w.-]+$", max_length=100)]


class DeliveryOut(BaseModel):
    notifier: str
    status: str
    attempts: int
    last_error: str | None


class StoredAlertOut(BaseModel):
    id: int
    created_at: datetime
    alert: dict[str, Any]  # the alert and its explanation, as the notifiers sent it
    deliveries: list[DeliveryOut]


class RuleOut(BaseModel):
    name: str
    type: str
    brands: list[str]  # empty: every brand of the watchlist
    options: dict[str, Any]  # every option, defaults included
    # As in the file, but a notifier's URL shows only its scheme and host (`redact_url`):
    # its path, query and password are often the secret. Sent back unchanged, it keeps the
    # stored URL.
    notify: list[dict[str, Any]]

    @classmethod
    def of(cls, rule: AlertOptions) -> RuleOut:
        options = rule.model_dump(mode="json", exclude={"name", "type", "brands", "notify"})
        return cls(name=rule.name, type=rule.type, brands=list(rule.brands), options=options,
                   notify=[_notifier(n) for n in rule.notify])


def _notifier(notifier: NotifierOptions) -> dict[str, Any]:
    shown = notifier.model_dump(mode="json")
    if isinstance(notifier, URLOptions):
        shown["url"] = redact_url(notifier.url)
    return shown


def _watchlist(settings: SettingsDep) -> WatchlistFile | None:
    if not settings.watchlist.exists():
        return None
    try:
        return load_watchlist(settings.watchlist)
    except WatchlistError as exc:
        raise HTTPException(500, f"the server's watchlist is invalid: {exc}") from None


def _state(settings: SettingsDep) -> Iterator[AlertState]:
    state = AlertState(settings.db)
    try:
        yield state
    finally:
        state.close()


WatchlistDep = Annotated[WatchlistFile | None, Depends(_watchlist)]
StateDep = Annotated[AlertState, Depends(_state)]


@router.get("", response_model=list[StoredAlertOut], dependencies=[require("viewer")])
def history(state: StateDep, rule: str | None = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[StoredAlertOut]:
    """The alerts raised, newest first, each with its explanation and deliveries."""
    return [
        StoredAlertOut(id=s.id, created_at=s.created_at, alert=s.alert,
                       deliveries=[DeliveryOut(notifier=d.notifier, status=d.status,
                                               attempts=d.attempts, last_error=d.last_error)
                                   for d in state.deliveries(s.id)])
        for s in state.history(limit=limit, rule=rule)
    ]


@router.get("/rules", response_model=list[RuleOut], dependencies=[require("viewer")])
def rules(watchlist: WatchlistDep) -> list[RuleOut]:
    """The watchlist's `[[alerts]]` rules."""
    return [RuleOut.of(rule) for rule in watchlist.alerts] if watchlist else []


@router.put("/rules/{name}", response_model=RuleOut, dependencies=[require("admin")],
            responses={201: {"model": RuleOut}})
def save_rule(name: RuleName, rule: Annotated[AlertOptions, Body()], settings: SettingsDep,
              response: Response) -> RuleOut:
    """Add the rule, or replace the rule of that name, in the watchlist file; the body is
    the rule as in the file (`type` and its options; defaults may be left out). A webhook
    `url` sent back as GET shows it (`https://host/…`) keeps the stored URL."""
    if rule.name != name:
        raise HTTPException(400, f"the body names rule {rule.name!r}, the path {name!r}")
    try:
        replaced = put_rule(settings.watchlist, rule, allow_loopback=settings.allow_loopback)
    except (WatchlistError, AlertConfigError) as exc:
        raise HTTPException(400, str(exc)) from None
    response.status_code = 200 if replaced else 201
    return RuleOut.of(rule)


@router.delete("/rules/{name}", status_code=204, dependencies=[require("admin")])
def remove_rule(name: RuleName, settings: SettingsDep) -> None:
    """Remove the rule from the watchlist file; its alert history is kept."""
    try:
        removed = delete_rule(settings.watchlist, name, allow_loopback=settings.allow_loopback)
    except (WatchlistError, AlertConfigError) as exc:
        raise HTTPException(400, str(exc)) from None
    if not removed:
        raise HTTPException(404, f"no alert rule named {name!r}")


@router.get("/test", response_model=list[dict[str, Any]], dependencies=[require("viewer")])
def dry_run(rule: str, since: Instant, store: StoreDep, state: StateDep,
            watchlist: WatchlistDep, settings: SettingsDep,
            until: Instant | None = None) -> list[dict[str, Any]]:
    """The explained alerts `rule` would have raised in [since, until), whatever the
    history and cooldowns say; nothing is kept or sent."""
    try:
        since, until = window(since, until or datetime.now(UTC), reach=_HISTORY_REACH)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    if until - since > MAX_DRY_RUN:
        raise HTTPException(400, f"a dry run covers at most {MAX_DRY_RUN.days} days")
    try:
        configured = (configured_rules(watchlist, allow_loopback=settings.allow_loopback)
                      if watchlist else [])
    except AlertConfigError as exc:
        raise HTTPException(500, f"the server's alert rules are invalid: {exc}") from None
    if rule not in {c.rule.name for c in configured}:
        raise HTTPException(404, f"no alert rule named {rule!r}")
    return AlertRunner(store, state, configured).dry_run(rule, since, now=until)
