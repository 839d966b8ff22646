"""Add, replace and remove `[[alerts]]` rules in the watchlist file, for the API.

The watchlist stays the one place rules live, and an edit changes nothing but the rule: the
rule's lines (from its `[[alerts]]` to the next table that is not one of its notifiers) are
replaced, removed or appended, so every other byte, comment and blank line stays, and so do
the file's mode and owner. The result is validated as a whole (`parse_watchlist`,
`configured_rules`), checked to hold exactly the rules intended, and written atomically, so
a bad rule never replaces a good file.

A webhook URL sent back as the API shows it (`https://hooks.slack.com/…`, see `redact_url`)
keeps the URL stored for that rule: an admin edits a rule's options without knowing, or
overwriting, its secret; a new URL replaces it.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from api.alerts.config import AlertConfigError, configured_rules
from api.alerts.notifiers import REDACTED, TemplateOptions, URLOptions, redact_url
from api.alerts.rules import AlertOptions
from api.watchlist import parse_watchlist
from index.watchlist import WatchlistError

__all__ = ["delete_rule", "put_rule"]

# One writer at a time inside a process; the atomic rename keeps readers safe across them.
_lock = threading.Lock()

_RULE = re.compile(r"^\s*\[\[\s*alerts\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[\[?\s*([\w.\"' -]+?)\s*\]\]?\s*(#.*)?$")


def _table(options: AlertOptions) -> Table:
    # Defaults stay out of the file, so a later change of a default reaches the rule.
    data: dict[str, Any] = options.model_dump(mode="json", exclude_defaults=True)
    data = {"name": options.name, "type": options.type, **data}
    table = tomlkit.table()
    for key, value in data.items():
        if key == "notify":
            table.append(key, tomlkit.aot())
            for notifier in value:
                table[key].append(tomlkit.item(notifier))
        else:
            table.append(key, value)
    return table


def _rule_lines(options: AlertOptions) -> list[str]:
    document = tomlkit.document()
    document.append("alerts", tomlkit.aot())
    document["alerts"].append(_table(options))
    return tomlkit.dumps(document).splitlines(keepends=True)


def _ends_rule(line: str) -> bool:
    """True for the header of a table that is not part of the rule above (its notifiers
    are `[[alerts.notify]]`)."""
    match = _TABLE.match(line)
    return bool(match) and not re.sub(r"[\"' ]", "", match.group(1)).startswith("alerts.")


def _spans(lines: list[str], count: int, origin: str) -> list[tuple[int, int]]:
    """Each rule's lines [start, end): its `[[alerts]]` up to the next table of another."""
    starts = [i for i, line in enumerate(lines) if _RULE.match(line)]
    if len(starts) != count:
        raise WatchlistError(f"{origin}: the API edits rules written as `[[alerts]]` tables "
                             "only; edit this file by hand")
    spans = []
    for start in starts:
        end = start + 1
        while end < len(lines) and not _ends_rule(lines[end]):
            end += 1
        spans.append((start, end))
    return spans


def _is_filler(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _replaced(lines: list[str], span: tuple[int, int], new: list[str]) -> list[str]:
    start, end = span
    body_end = end
    while body_end > start and _is_filler(lines[body_end - 1]):
        body_end -= 1
    # Blank lines and comments after the rule are the layout of what follows: kept.
    return lines[:start] + new + lines[body_end:end] + lines[end:]


def _removed(lines: list[str], span: tuple[int, int]) -> list[str]:
    start, end = span
    comments = [line for line in lines[start:end] if line.lstrip().startswith("#")]
    before = lines[:start]
    if end == len(lines):  # the last rule: no blank lines left at the end of the file
        while before and not before[-1].strip():
            before.pop()
    return before + comments + lines[end:]


def _appended(lines: list[str], new: list[str]) -> list[str]:
    lines = list(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if lines and lines[-1].strip():
        lines.append("\n")  # a blank line before `[[alerts]]`, as people write it
    return lines + new


def _unredacted(options: AlertOptions, stored: AlertOptions | None) -> AlertOptions:
    """`options` with each webhook URL sent back as shown replaced by the stored URL it
    stands for (the one at the same place when several read the same)."""
    stored_urls = [n.url if isinstance(n, URLOptions) else None
                   for n in (stored.notify if stored else ())]
    notify = list(options.notify)
    for i, notifier in enumerate(notify):
        if not (isinstance(notifier, URLOptions) and notifier.url.endswith(REDACTED)):
            continue
        matches = {u for u in stored_urls if u and redact_url(u) == notifier.url}
        same_place = stored_urls[i] if i < len(stored_urls) else None
        if same_place not in matches and len(matches) != 1:
            raise AlertConfigError(f"notify[{i}].url: {notifier.url!r} is a URL as the API "
                                   "shows it, standing for no one stored URL of this rule; "
                                   "give the whole webhook URL")
        url = same_place if same_place in matches else matches.pop()
        notify[i] = notifier.model_copy(update={"url": url})
    return options.model_copy(update={"notify": tuple(notify)})


def _refuse_new_reach(options: AlertOptions, stored: AlertOptions | None) -> None:
    """Refuse a template notifier's `template_file` or `secrets` variable that the stored
    rule does not already name: the API edits rules, not what the server may read. (An
    admin of the app is not one of the machine, and a template renders what it reads into
    a request to a URL of the admin's choosing.) The watchlist file itself may name any."""
    kept = [n for n in (stored.notify if stored else ()) if isinstance(n, TemplateOptions)]
    files = {n.template_file for n in kept}
    variables = {v for n in kept for v in n.secrets.values()}
    for i, notifier in enumerate(options.notify):
        if not isinstance(notifier, TemplateOptions):
            continue
        if notifier.template_file is not None and notifier.template_file not in files:
            raise AlertConfigError(f"notify[{i}].template_file: a template file is named in "
                                   "the watchlist file, not through the API; give the "
                                   "template inline")
        if new := sorted(set(notifier.secrets.values()) - variables):
            raise AlertConfigError(f"notify[{i}].secrets: {', '.join(new)}: an environment "
                                   "variable is named in the watchlist file, not through "
                                   "the API")


def _edit(path: Path, name: str, options: AlertOptions | None, *,
          allow_loopback: bool) -> bool:
    """Replace (or, with no options, remove) rule `name`; True when it was there before."""
    with _lock:
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise WatchlistError(f"{path}: no watchlist file to keep rules in") from None
        rules = list(parse_watchlist(text, str(path)).alerts)
        lines = text.splitlines(keepends=True)
        spans = _spans(lines, len(rules), str(path))
        found = next((i for i, rule in enumerate(rules) if rule.name == name), None)
        if options is None:
            if found is None:
                return False
            del rules[found]
            lines = _removed(lines, spans[found])
        elif found is None:
            _refuse_new_reach(options, None)
            options = _unredacted(options, None)
            rules.append(options)
            lines = _appended(lines, _rule_lines(options))
        else:
            _refuse_new_reach(options, rules[found])
            options = _unredacted(options, rules[found])
            rules[found] = options
            lines = _replaced(lines, spans[found], _rule_lines(options))
        edited = "".join(lines)
        watchlist = parse_watchlist(edited, str(path))
        if list(watchlist.alerts) != rules:
            raise WatchlistError(f"{path}: cannot edit rule {name!r} in place; edit the file "
                                 "by hand")
        # Also refuses a rule on a brand the watchlist lacks, or a notifier not to be used.
        configured_rules(watchlist, allow_loopback=allow_loopback)
        _write_atomically(path, edited)
    return found is not None


def _write_atomically(path: Path, text: str) -> None:
    kept = path.stat()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            # mkstemp makes the file 0600: the watchlist keeps its own mode and owner.
            os.fchmod(out.fileno(), stat.S_IMODE(kept.st_mode))
            with contextlib.suppress(PermissionError):  # only root may give a file away
                os.fchown(out.fileno(), kept.st_uid, kept.st_gid)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def put_rule(path: Path, options: AlertOptions, *, allow_loopback: bool = False) -> bool:
    """Add rule `options.name` or replace the rule of that name; True when it replaced one.
    Raises WatchlistError or AlertConfigError, leaving the file as it was."""
    return _edit(path, options.name, options, allow_loopback=allow_loopback)


def delete_rule(path: Path, name: str, *, allow_loopback: bool = False) -> bool:
    """Remove rule `name`; False when the watchlist has no such rule."""
    return _edit(path, name, None, allow_loopback=allow_loopback)
