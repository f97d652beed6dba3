"""CLI commands for spaces with a model: embed, tokenize, compare words, and draw images."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from semspace.cli.connect import client_from
from semspace.cli.output import emit
from semspace.client import Client, Image, Images, Text
from semspace.client.operations import Target


def _client(args: argparse.Namespace) -> Client:
    return client_from(args)


def _item(text: str) -> Target:
    """A command-line item: `@file.png` is an image, `id:x` a stored point, anything else text."""
    if text.startswith("@"):
        return Image(Path(text[1:]).read_bytes())
    if text.startswith("id:"):
        return text[3:]
    return Text(text)


def cmd_embed(args: argparse.Namespace) -> int:
    texts = [t for t in args.inputs if not t.startswith("@")]
    images = [Path(t[1:]).read_bytes() for t in args.inputs if t.startswith("@")]
    with _client(args) as client:
        result = client.embed(args.space, texts, images)
    composed = result.composed + [False] * len(images)
    labels = texts + [t for t in args.inputs if t.startswith("@")]
    data = [
        {"input": label, "composed": flag, "vector": vector.tolist()}
        for label, flag, vector in zip(labels, composed, result.vectors, strict=True)
    ]
    rows = [(d["input"], "yes" if d["composed"] else "", _preview(d["vector"])) for d in data]
    emit(args.json, data, ("input", "composed", "vector"), rows)
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    with _client(args) as client:
        tokens = client.tokenize(args.space, args.texts, add_sos=args.sos, add_eos=args.eos)
    data = [
        {"text": t, "pieces": k.pieces, "ids": k.ids}
        for t, k in zip(args.texts, tokens, strict=True)
    ]
    rows = [(d["text"], " ".join(d["pieces"]), " ".join(map(str, d["ids"]))) for d in data]
    emit(args.json, data, ("text", "pieces", "ids"), rows)
    return 0


def cmd_similarity(args: argparse.Namespace) -> int:
    with _client(args) as client:
        score = client.similarity(args.space, _item(args.a), _item(args.b))
    emit(
        args.json,
        {"a": args.a, "b": args.b, "cosine": score},
        ("a", "b", "cosine"),
        [(args.a, args.b, score)],
    )
    return 0


def cmd_doesnt_match(args: argparse.Namespace) -> int:
    with _client(args) as client:
        odd = client.doesnt_match(args.space, [_item(i) for i in args.items])
    data = {
        "odd_one_out": args.items[odd.index],
        "scores": dict(zip(args.items, odd.scores.tolist(), strict=True)),
    }
    emit(args.json, data, ("odd one out",), [(args.items[odd.index],)])
    return 0


def _write_pngs(args: argparse.Namespace, images: Images, stem: str) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    paths = []
    for position, png in enumerate(images.png):
        path = args.out / f"{stem}-{position:03d}.png"
        path.write_bytes(png)
        paths.append(str(path))
    emit(args.json, paths, ("written",), [(p,) for p in paths])
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    with _client(args) as client:
        images = client.sample(args.space, args.n, seed=args.seed)
    return _write_pngs(args, images, f"{args.space}-sample")


def cmd_reconstruct(args: argparse.Namespace) -> int:
    with _client(args) as client:
        images = client.reconstruct(args.space, [p.read_bytes() for p in args.images])
    return _write_pngs(args, images, f"{args.space}-reconstruct")


def cmd_interpolate(args: argparse.Namespace) -> int:
    with _client(args) as client:
        images = client.interpolate(
            args.space, _item(args.start), _item(args.end), args.steps, path=args.path
        )
    return _write_pngs(args, images, f"{args.space}-interpolate")


def _preview(vector: list[float], shown: int = 6) -> str:
    head = " ".join(f"{x:.3f}" for x in vector[:shown])
    return f"{head} ... ({len(vector)}-d)" if len(vector) > shown else head


def register(commands: Any, json_flag: argparse.ArgumentParser) -> None:
    items_help = "items: text, id:<point id>, or @image.png"
    p = commands.add_parser("embed", parents=[json_flag], help="vectors of texts or @images")
    p.add_argument("space")
    p.add_argument("inputs", nargs="+", help="texts, or @file.png for images")
    p.set_defaults(func=cmd_embed)
    p = commands.add_parser("tokenize", parents=[json_flag], help="BPE pieces and ids of texts")
    p.add_argument("space")
    p.add_argument("texts", nargs="+")
    p.add_argument("--sos", action="store_true", help="prepend <s>")
    p.add_argument("--eos", action="store_true", help="append </s>")
    p.set_defaults(func=cmd_tokenize)
    p = commands.add_parser(
        "similarity", parents=[json_flag], help="cosine similarity of two items"
    )
    p.add_argument("space")
    p.add_argument("a", help=items_help)
    p.add_argument("b")
    p.set_defaults(func=cmd_similarity)
    p = commands.add_parser("doesnt-match", parents=[json_flag], help="the odd one out of items")
    p.add_argument("space")
    p.add_argument("items", nargs="+", help=items_help)
    p.set_defaults(func=cmd_doesnt_match)
    out = argparse.ArgumentParser(add_help=False, parents=[json_flag])
    out.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG files")
    p = commands.add_parser("sample", parents=[out], help="draw new images from a VAE/AE space")
    p.add_argument("space")
    p.add_argument("-n", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sample)
    p = commands.add_parser("reconstruct", parents=[out], help="encode and decode images")
    p.add_argument("space")
    p.add_argument("images", nargs="+", type=Path)
    p.set_defaults(func=cmd_reconstruct)
    p = commands.add_parser("interpolate", parents=[out], help="walk between two items")
    p.add_argument("space")
    p.add_argument("start", help="id:<point id> or @image.png")
    p.add_argument("end")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--path", choices=("linear", "spherical"))
    p.set_defaults(func=cmd_interpolate)
