"""CLI commands of the search engine: index choice, filters, scrolling, reloading spaces."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from semspace.cli.connect import client_from
from semspace.cli.output import emit


def parse_params(pairs: list[str]) -> dict[str, int]:
    """["m=32", "ef_search=64"] -> {"m": 32, "ef_search": 64}."""
    params = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value.lstrip("-").isdigit():
            raise ValueError(f"--param takes name=integer, got '{pair}'")
        params[name] = int(value)
    return params


def parse_where(text: str | None) -> dict[str, Any] | None:
    """A filter as JSON, e.g. '{"label": "shirt", "price": {"lt": 50}}'."""
    if text is None:
        return None
    try:
        where = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--where is not valid JSON: {error}") from None
    if not isinstance(where, dict):
        raise ValueError("--where must be a JSON object")
    return where


def add_index_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", choices=("flat", "hnsw", "ivf_flat", "ivf_pq"), default="flat")
    parser.add_argument(
        "--param", action="append", default=[], help="index parameter name=value (repeatable)"
    )


def add_search_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--where", help='payload filter as JSON: \'{"label": "shirt"}\'')
    parser.add_argument("--ef-search", type=int, help="HNSW search effort for this query")
    parser.add_argument("--nprobe", type=int, help="IVF buckets scanned for this query")
    parser.add_argument("--exact", action="store_true", help="scan every point exactly")
    parser.add_argument("--group-by", help="payload field: the best k groups, not k points")
    parser.add_argument("--group-size", type=int, help="with --group-by: points a group (1)")
    parser.add_argument(
        "--score-threshold",
        type=float,
        help="only neighbours scoring at least this (l2: within this distance)",
    )


def search_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "where": parse_where(args.where),
        "ef_search": args.ef_search,
        "nprobe": args.nprobe,
        "exact": args.exact,
        "score_threshold": args.score_threshold,
        "group_by": args.group_by,
        "group_size": args.group_size,
    }


def cmd_scroll(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        page = client.scroll(
            args.space, args.cursor, args.limit, where=parse_where(args.where), with_payloads=True
        )
    payloads = page.payloads or [None] * len(page.ids)
    data = {"ids": page.ids, "payloads": payloads, "next_cursor": page.next_cursor}
    rows = list(zip(page.ids, payloads, strict=True))
    emit(args.json, data, ("id", "payload"), rows)
    if not args.json and page.next_cursor:
        print(f"more: --cursor {page.next_cursor}")
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        count = client.count(args.space, where=parse_where(args.where))
    print(json.dumps({"count": count}) if args.json else count)
    return 0


def cmd_alias(args: argparse.Namespace) -> int:
    if (args.space is None) == (not args.delete):
        raise ValueError("alias: give the space to point at, or --delete")
    with client_from(args) as client:
        if args.delete:
            print(
                f"deleted alias '{args.alias}' (it pointed at '{client.delete_alias(args.alias)}')"
            )
            return 0
        before = client.set_alias(args.alias, args.space)
    moved = f" (it pointed at '{before}')" if before else ""
    print(f"alias '{args.alias}' now points at '{args.space}'{moved}")
    return 0


def cmd_aliases(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        aliases = client.list_aliases()
    emit(args.json, aliases, ("alias", "space"), list(aliases.items()))
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        changes = client.reload(args.spaces)
    emit(
        args.json,
        [dataclasses.asdict(c) for c in changes],
        ("space", "action", "version", "detail"),
        [(c.space, c.action, c.version, c.detail) for c in changes],
    )
    return 0


def cmd_set_index(args: argparse.Namespace) -> int:
    from semspace.artifact import read_manifest, update_index
    from semspace.index_config import IndexConfig, IndexConfigError

    directory = Path(args.artifacts_dir) / args.space
    dim = read_manifest(directory).dim
    try:
        config = IndexConfig.parse(args.index, parse_params(args.param), dim, "index")
    except IndexConfigError as error:
        raise ValueError(str(error)) from None
    update_index(directory, config)
    print(f"space '{args.space}' will be served with {config.summary()}")
    print("a running server picks it up with: semspace reload " + args.space)
    return 0


def register(commands: argparse._SubParsersAction, artifacts_dir: Path) -> None:
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="machine-readable output")
    p = commands.add_parser(
        "scroll", parents=[json_flag], help="read a space's points page by page"
    )
    p.add_argument("space")
    p.add_argument("--cursor", help="next_cursor of the previous page")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--where", help="payload filter as JSON")
    p.set_defaults(func=cmd_scroll)
    p = commands.add_parser("count", parents=[json_flag], help="how many points match a filter")
    p.add_argument("space")
    p.add_argument("--where", help="payload filter as JSON (default: every point)")
    p.set_defaults(func=cmd_count)
    p = commands.add_parser("alias", help="point an alias at a space, or delete it")
    p.add_argument("alias")
    p.add_argument("space", nargs="?")
    p.add_argument("--delete", action="store_true", help="remove the alias")
    p.set_defaults(func=cmd_alias)
    p = commands.add_parser("aliases", parents=[json_flag], help="list aliases and their spaces")
    p.set_defaults(func=cmd_aliases)
    p = commands.add_parser(
        "reload", parents=[json_flag], help="load new or changed spaces and swap them in"
    )
    p.add_argument("spaces", nargs="*", help="default: all")
    p.set_defaults(func=cmd_reload)
    p = commands.add_parser(
        "set-index", help="choose the index a stored space is served with (then reload)"
    )
    p.add_argument("space")
    add_index_flags(p)
    p.add_argument("--artifacts-dir", type=Path, default=artifacts_dir)
    p.set_defaults(func=cmd_set_index)
