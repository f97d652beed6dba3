"""CLI commands that talk to a running server through the client."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from semspace.cli import index_commands, model_commands
from semspace.cli.connect import client_from
from semspace.cli.inputs import parse_expression, parse_vector, read_csv_points, read_npy_points
from semspace.cli.output import emit
from semspace.client import Client, Image, Neighbors, Text


def _client(args: argparse.Namespace) -> Client:
    return client_from(args)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def cmd_spaces(args: argparse.Namespace) -> int:
    with _client(args) as client:
        spaces = client.list_spaces()
    rows = [
        (s.name, s.kind, s.dim, s.metric, s.count, s.index, s.version, yes_no(s.writable))
        for s in spaces
    ]
    emit(
        args.json,
        [dataclasses.asdict(s) for s in spaces],
        ("space", "kind", "dim", "metric", "count", "index", "version", "writable"),
        rows,
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with _client(args) as client:
        info = client.get_space(args.space)
    data = dataclasses.asdict(info)
    emit(args.json, data, ("field", "value"), [(k, v) for k, v in data.items()])
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    with _client(args) as client:
        info = client.create_space(
            args.space,
            args.dim,
            args.metric,
            args.description,
            index=args.index,
            index_params=index_commands.parse_params(args.param),
        )
    print(f"created space '{info.name}' ({info.dim}-d, {info.metric}, {info.index} index)")
    return 0


def cmd_drop(args: argparse.Namespace) -> int:
    with _client(args) as client:
        client.drop_space(args.space)
    print(f"dropped space '{args.space}'")
    return 0


def cmd_upsert(args: argparse.Namespace) -> int:
    if args.csv:
        ids, vectors = read_csv_points(args.csv)
    else:
        ids, vectors = read_npy_points(args.npy, args.ids)
    inserted = updated = count = 0
    with _client(args) as client:
        for start in range(0, len(ids), args.batch):
            result = client.upsert(
                args.space, ids[start : start + args.batch], vectors[start : start + args.batch]
            )
            inserted, updated, count = (
                inserted + result.inserted,
                updated + result.updated,
                result.count,
            )
    print(f"upserted {len(ids)} points into '{args.space}': {inserted} new, {updated} replaced")
    print(f"'{args.space}' now holds {count} points")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    with _client(args) as client:
        points = client.get(args.space, args.ids, with_payloads=True)
    payloads = points.payloads or [None] * len(points.ids)
    data = [
        {"id": i, "vector": v.tolist(), "payload": p}
        for i, v, p in zip(points.ids, points.vectors, payloads, strict=True)
    ]
    rows = [(d["id"], " ".join(f"{x:.4g}" for x in d["vector"]), d["payload"]) for d in data]
    emit(args.json, data, ("id", "vector", "payload"), rows)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.ids and args.where is None:
        raise ValueError("delete: name the ids to delete, or give --where")
    with _client(args) as client:
        result = client.delete(args.space, args.ids, where=index_commands.parse_where(args.where))
    missing = f" (not found: {', '.join(result.missing_ids)})" if result.missing_ids else ""
    print(f"deleted {result.deleted} points from '{args.space}'{missing}; {result.count} remain")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    query: Any
    if args.id is not None:
        query = args.id
    elif args.text is not None:
        query = Text(args.text)
    elif args.image is not None:
        query = Image(args.image.read_bytes())
    else:
        query = parse_vector(args.vector)
    with _client(args) as client:
        neighbors = client.search(
            args.space, query, args.k, with_payloads=True, **index_commands.search_options(args)
        )
    _emit_neighbors(args, neighbors)
    return 0


def cmd_arithmetic(args: argparse.Namespace) -> int:
    terms = parse_expression(args.expression)
    with _client(args) as client:
        result = client.arithmetic(
            args.space,
            k=args.k,
            terms=terms,
            method=args.method,
            with_payloads=True,
            where=index_commands.parse_where(args.where),
        )
    _emit_neighbors(args, result.neighbors)
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    with _client(args) as client:
        status = client.health()
    print(status)
    return 0 if status == "SERVING" else 1


def _emit_neighbors(args: argparse.Namespace, neighbors: Neighbors) -> None:
    payloads = neighbors.payloads or [None] * len(neighbors)
    data = [
        {"rank": rank, "id": i, "score": s, "payload": p}
        for rank, (i, s, p) in enumerate(
            zip(neighbors.ids, neighbors.scores.tolist(), payloads, strict=True), 1
        )
    ]
    columns = ("rank", "id", "score", "payload")
    if neighbors.groups is not None:  # grouped: each point's group after its rank
        for row, group in zip(data, neighbors.groups, strict=True):
            row["group"] = group
        columns = ("rank", "id", "score", "payload", "group")
    emit(args.json, data, columns, [tuple(d.values()) for d in data])


def register(commands: argparse._SubParsersAction) -> None:
    """Adds the client-side commands to the top-level parser."""
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="machine-readable output")
    p = commands.add_parser("spaces", parents=[json_flag], help="list the server's spaces")
    p.set_defaults(func=cmd_spaces)
    p = commands.add_parser("info", parents=[json_flag], help="describe one space")
    p.add_argument("space")
    p.set_defaults(func=cmd_info)
    p = commands.add_parser("create", help="create an empty user space")
    p.add_argument("space")
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--metric", choices=("cosine", "l2", "ip"), default="cosine")
    p.add_argument("--description", default="")
    index_commands.add_index_flags(p)
    p.set_defaults(func=cmd_create)
    p = commands.add_parser("drop", help="delete a user space and its data")
    p.add_argument("space")
    p.set_defaults(func=cmd_drop)
    p = commands.add_parser("upsert", help="insert or replace points from a CSV or .npy file")
    p.add_argument("space")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, help="rows of id,x1,x2,... (a header row is skipped)")
    source.add_argument("--npy", type=Path, help="a (count, dim) float array")
    p.add_argument("--ids", type=Path, help="with --npy: one id per line (default: row numbers)")
    p.add_argument("--batch", type=int, default=10_000, help="points per request")
    p.set_defaults(func=cmd_upsert)
    p = commands.add_parser("get", parents=[json_flag], help="print points by id")
    p.add_argument("space")
    p.add_argument("ids", nargs="+")
    p.set_defaults(func=cmd_get)
    p = commands.add_parser("delete", help="delete points by id, or those matching --where")
    p.add_argument("space")
    p.add_argument("ids", nargs="*")
    p.add_argument("--where", help="payload filter as JSON, instead of ids")
    p.set_defaults(func=cmd_delete)
    p = commands.add_parser(
        "search", parents=[json_flag], help="nearest neighbours of a point, vector, text or image"
    )
    p.add_argument("space")
    query = p.add_mutually_exclusive_group(required=True)
    query.add_argument("--id", help="search by a stored point's id")
    query.add_argument("--vector", help="comma- or space-separated components")
    query.add_argument("--text", help="text embedded by the space's model (word spaces)")
    query.add_argument("--image", type=Path, help="PNG/JPEG embedded by the model (image spaces)")
    p.add_argument("-k", type=int, default=10)
    index_commands.add_search_flags(p)
    p.set_defaults(func=cmd_search)
    p = commands.add_parser(
        "arithmetic",
        parents=[json_flag],
        help="vector arithmetic: semspace arithmetic words king - man + woman",
        description="Terms are point ids; '2*id' weights one. Keep + and - apart from the ids "
        "(king - man + woman), or put the expression after -- (-- king -man +woman).",
    )
    p.add_argument("space")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd")
    p.add_argument("--where", help="payload filter as JSON: only points that match")
    p.add_argument("expression", nargs="+")
    p.set_defaults(func=cmd_arithmetic)
    p = commands.add_parser("health", help="exit 0 when the server reports SERVING")
    p.set_defaults(func=cmd_health)
    model_commands.register(commands, json_flag)
