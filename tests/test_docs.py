"""Every setting a user can change is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

from api.settings import Settings
from crawlers import settings as crawler_settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_application_setting_is_documented() -> None:
    missing = [f"MENTIONWATCH_{name.upper()}" for name in Settings.model_fields
               if f"`MENTIONWATCH_{name.upper()}`" not in README]
    assert missing == []


def test_every_mentionwatch_crawler_setting_is_documented() -> None:
    names = [n for n in vars(crawler_settings) if n.startswith("MENTIONWATCH_")]
    assert names
    assert [n for n in names if f"`{n}`" not in README] == []


def test_the_prerequisites_name_everything_make_needs() -> None:
    makefile = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")
    prerequisites = README[README.index("Two commands"):README.index("make demo    #")]
    # (what the Makefile runs, what the README's prerequisites must then say)
    needs = [("-m venv", "venv"), ("npm ci", "npm"), ("apt-get", "apt-get"),
             ('"$$(id -u)" = 0', "root"), ("chromium", "Chromium")]
    assert [said for runs, said in needs if runs in makefile and said not in prerequisites] == []


def test_the_routes_table_marks_exactly_the_required_parameters() -> None:
    from api.app import create_app

    rows = [line for line in README.splitlines() if line.startswith("| `GET /")]
    spec = create_app().openapi()
    wrong = {}
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        required = {p["name"] for p in operations["get"].get("parameters", [])
                    if p["in"] == "query" and p.get("required")}
        [row] = [r for r in rows if r.startswith(f"| `GET {path}?")] or [""]
        marked = re.search(r"\(((?:`\w+`(?:, )?)+) required\)", row)
        said = set(re.findall(r"`(\w+)`", marked.group(1))) if marked else set()
        if row and said != required:
            wrong[path] = (sorted(required), sorted(said))
    assert wrong == {}


def test_every_brand_key_of_the_watchlist_is_documented() -> None:
    """Each key of `[[brands]]` (and of `[brands.accounts]`) in the README's watchlist
    section, as a key in the example or named in the text."""
    from api.watchlist import WatchedBrand

    watchlist = README[README.index("## The watchlist"):README.index("## Sources")]
    keys = [*WatchedBrand.model_fields, *WatchedBrand.model_fields["accounts"].annotation
            .model_fields]  # type: ignore[union-attr]
    spellings = ("{} =", "`{}`", "[brands.{}]", "[[brands.{}]]")
    assert [k for k in keys if not any(s.format(k) in watchlist for s in spellings)] == []


def test_compose_gives_the_api_crawlers_and_workers_one_state_file() -> None:
    # Workers file the inbox and crawlers their runs in `--db`; the API serves both.
    import yaml  # a transformers dependency

    services = yaml.safe_load((Path(__file__).parents[1] / "compose.yaml").read_text(
        encoding="utf-8"))["services"]
    for name in ("api", "crawler", "worker"):
        service = services[name]
        command = " ".join(service.get("command") or service["entrypoint"])
        assert "--db /state/mentionwatch.db" in command, name
        assert "state:/state" in service["volumes"], name
