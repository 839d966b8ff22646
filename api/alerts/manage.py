"""Add, replace and remove `[[alerts]]` rules in the watchlist file, for the API.

The watchlist stays the one place rules live: an edit is made with tomlkit, so the file's
comments and layout survive, validated as a whole (`parse_watchlist`, `configured_rules`)
and written atomically, so a bad rule never replaces a good file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from api.alerts.config import configured_rules
from index.watchlist import AlertOptions, WatchlistError, parse_watchlist

__all__ = ["delete_rule", "put_rule"]

# One writer at a time inside a process; the atomic rename keeps readers safe across them.
_lock = threading.Lock()


def _table(options: AlertOptions) -> Table:
    # Defaults stay out of the file, so a later change of a default reaches the rule.
    data: dict[str, Any] = options.model_dump(mode="json", exclude_defaults=True)
    data = {"name": options.name, "type": options.type, **data}
    table = tomlkit.table()
    table.trivia.indent = "\n"  # a blank line before `[[alerts]]`, as people write it
    for key, value in data.items():
        if key == "notify":
            table.append(key, tomlkit.aot())
            for notifier in value:
                table[key].append(tomlkit.item(notifier))
        else:
            table.append(key, value)
    return table


def _edit(path: Path, name: str, options: AlertOptions | None) -> bool:
    """Replace (or, with no options, remove) rule `name`; True when it was there before."""
    with _lock:
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WatchlistError(f"{path}: no watchlist file to keep rules in") from None
        rules = document.get("alerts")
        if rules is None:
            rules = tomlkit.aot()
            document.append("alerts", rules)
        if not isinstance(rules, AoT):
            raise WatchlistError(f"{path}: `alerts` must be an array of tables")
        found = [i for i, rule in enumerate(rules) if rule.get("name") == name]
        if options is not None:
            if found:
                rules[found[0]] = _table(options)
            else:
                rules.append(_table(options))
        elif found:
            del rules[found[0]]
        text = tomlkit.dumps(document)
        # Also refuses a rule on a brand the watchlist lacks, or a repeated name.
        configured_rules(parse_watchlist(text, str(path)))
        _write_atomically(path, text)
    return bool(found)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def put_rule(path: Path, options: AlertOptions) -> bool:
    """Add rule `options.name` or replace the rule of that name; True when it replaced one.
    Raises WatchlistError or AlertConfigError, leaving the file as it was."""
    return _edit(path, options.name, options)


def delete_rule(path: Path, name: str) -> bool:
    """Remove rule `name`; False when the watchlist has no such rule."""
    return _edit(path, name, None)
