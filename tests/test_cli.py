"""The `semspace` command against a real server: the README's quickstart, step by step."""

from __future__ import annotations

import json

import numpy as np
import pytest

from semspace.cli import main
from semspace.client import Client
from tests.conftest import EXAMPLES


def run(capsys, server, *args: str) -> tuple[int, str, str]:
    code = main(["--address", server.address, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cities_quickstart_from_the_command_line(capsys, server) -> None:
    assert run(capsys, server, "create", "cities", "--dim", "8")[0] == 0
    code, out, _ = run(capsys, server, "upsert", "cities", "--csv", str(EXAMPLES / "cities.csv"))
    assert code == 0 and "12 new" in out

    code, out, _ = run(
        capsys,
        server,
        "arithmetic",
        "cities",
        "--json",
        "-k",
        "1",
        "paris",
        "-",
        "lyon",
        "+",
        "milan",
    )
    assert code == 0, _
    assert json.loads(out)[0]["id"] == "rome"

    code, out, _ = run(capsys, server, "search", "cities", "--id", "marseille", "-k", "1", "--json")
    assert json.loads(out)[0]["id"] == "lyon"

    code, out, _ = run(capsys, server, "spaces")
    assert code == 0 and "cities" in out.splitlines()[2] and "12" in out


def test_upsert_from_npy_with_an_ids_file(capsys, server, tmp_path) -> None:
    np.save(tmp_path / "v.npy", np.eye(4, dtype=np.float32))
    # "\u2028" and "\x1c" are line breaks to str.splitlines(), but not to ids.txt.
    (tmp_path / "ids.txt").write_text("n\ne\u2028x\ns\x1cy\nw\n")
    run(capsys, server, "create", "compass", "--dim", "4", "--metric", "l2")
    assert (
        run(
            capsys,
            server,
            "upsert",
            "compass",
            "--npy",
            str(tmp_path / "v.npy"),
            "--ids",
            str(tmp_path / "ids.txt"),
        )[0]
        == 0
    )
    code, out, _ = run(capsys, server, "get", "compass", "s\x1cy", "--json")
    assert code == 0
    assert json.loads(out) == [{"id": "s\x1cy", "vector": [0.0, 0.0, 1.0, 0.0], "payload": None}]


def test_bad_files_are_named_errors_not_tracebacks(capsys, server, tmp_path) -> None:
    run(capsys, server, "create", "files", "--dim", "3")
    (tmp_path / "text.npy").write_text("not numpy")
    code, _, err = run(capsys, server, "upsert", "files", "--npy", str(tmp_path / "text.npy"))
    assert code == 2 and "text.npy: not a .npy file" in err
    np.save(tmp_path / "complex.npy", np.ones((2, 3), dtype=np.complex64))
    code, _, err = run(capsys, server, "upsert", "files", "--npy", str(tmp_path / "complex.npy"))
    assert code == 2 and "complex numbers" in err
    missing = tmp_path / "nowhere"
    code = main(["set-index", "nowhere", "--index", "flat", "--artifacts-dir", str(missing)])
    assert code == 2 and "has no manifest.json" in capsys.readouterr().err
    code = main(["export-w2v", "--space-dir", str(missing), "--out", str(tmp_path / "w.txt")])
    assert code == 2 and "has no manifest.json" in capsys.readouterr().err


def test_errors_print_the_status_and_the_server_message(capsys, server) -> None:
    code, _, err = run(capsys, server, "search", "nowhere", "--vector", "1,2")
    assert code == 2
    assert "NOT_FOUND" in err and "nowhere" in err


def test_health_command_exits_zero_when_serving(capsys, server) -> None:
    assert run(capsys, server, "health") == (0, "SERVING\n", "")


@pytest.mark.parametrize(
    ("expression", "terms"),
    [
        (["king", "-", "man", "+", "woman"], [(1.0, "king"), (-1.0, "man"), (1.0, "woman")]),
        (["king", "-man", "+woman"], [(1.0, "king"), (-1.0, "man"), (1.0, "woman")]),
        (["2*paris", "-", "0.5*lyon"], [(2.0, "paris"), (-0.5, "lyon")]),
    ],
)
def test_arithmetic_expressions_parse_into_weighted_terms(expression, terms) -> None:
    from semspace.cli.inputs import parse_expression

    assert parse_expression(expression) == terms


def test_index_filter_scroll_and_reload_commands(capsys, server, tmp_path) -> None:
    args = ("create", "h", "--dim", "4", "--index", "hnsw", "--param", "m=8")
    code, out, err = run(capsys, server, *args)
    assert code == 0 and "hnsw index" in out, err
    np.save(tmp_path / "v.npy", np.eye(4, dtype=np.float32))
    assert run(capsys, server, "upsert", "h", "--npy", str(tmp_path / "v.npy"))[0] == 0
    code, out, _ = run(capsys, server, "info", "h", "--json")
    assert json.loads(out)["index_info"]["params"]["m"] == 8
    code, out, _ = run(capsys, server, "search", "h", "--id", "0", "--ef-search", "4", "--json")
    assert code == 0 and len(json.loads(out)) == 3
    code, out, _ = run(capsys, server, "search", "h", "--vector", "1,0,0,0", "--json")
    assert code == 0 and len(json.loads(out)) == 4
    args = ("search", "h", "--vector", "1,0,0,0", "--score-threshold", "0.5", "--json")
    code, out, _ = run(capsys, server, *args)
    assert code == 0 and [row["id"] for row in json.loads(out)] == ["0"]
    code, _, err = run(capsys, server, "search", "h", "--id", "0", "--nprobe", "4")
    assert code == 2 and "params.nprobe" in err
    code, out, _ = run(capsys, server, "scroll", "h", "--limit", "3", "--json")
    page = json.loads(out)
    assert page["ids"] == ["0", "1", "2"]
    code, out, _ = run(capsys, server, "scroll", "h", "--cursor", page["next_cursor"], "--json")
    assert json.loads(out)["ids"] == ["3"] and json.loads(out)["next_cursor"] is None
    code, out, _ = run(capsys, server, "count", "h")
    assert code == 0 and out.strip() == "4"
    code, out, err = run(capsys, server, "count", "h", "--where", '{"colour": "red"}')
    assert code == 2 and "filter.must[0]" in err and "colour" in err
    code, _, err = run(capsys, server, "delete", "h")
    assert code == 2 and "--where" in err
    code, _, err = run(capsys, server, "delete", "h", "1", "--where", '{"colour": "red"}')
    assert code == 2 and "not both" in err
    with Client(server.address) as client:
        client.upsert("h", ["r1", "r2"], np.ones((2, 4)), [{"colour": "red"}] * 2)
    code, out, _ = run(capsys, server, "count", "h", "--where", '{"colour": "red"}', "--json")
    assert code == 0 and json.loads(out) == {"count": 2}
    args = ("arithmetic", "h", "--where", '{"colour": "red"}', "--json", "0", "+", "1")
    code, out, err = run(capsys, server, *args)
    assert code == 0 and sorted(row["id"] for row in json.loads(out)) == ["r1", "r2"], err
    args = ("search", "h", "--id", "0", "--group-by", "colour", "--group-size", "2", "--json")
    code, out, _ = run(capsys, server, *args)
    rows = json.loads(out)
    assert code == 0 and sorted((r["id"], r["group"]) for r in rows) == [
        ("r1", "red"),
        ("r2", "red"),
    ]
    code, out, err = run(capsys, server, "delete", "h", "--where", '{"colour": "red"}')
    assert code == 0 and "deleted 2 points from 'h'; 4 remain" in out, err
    code, out, _ = run(capsys, server, "alias", "live", "h")
    assert code == 0 and "alias 'live' now points at 'h'" in out
    code, out, _ = run(capsys, server, "aliases", "--json")
    assert json.loads(out) == {"live": "h"}
    code, _, err = run(capsys, server, "drop", "h")
    assert code == 2 and "alias 'live' points at" in err
    code, _, err = run(capsys, server, "alias", "live")
    assert code == 2 and "--delete" in err
    code, out, _ = run(capsys, server, "alias", "live", "--delete")
    assert code == 0 and "deleted alias 'live' (it pointed at 'h')" in out
    code, out, _ = run(capsys, server, "reload", "--json")
    assert code == 0 and json.loads(out) == [
        {"space": "h", "action": "skipped", "version": 1, "detail": "user spaces are always live"}
    ]
    code, _, err = run(capsys, server, "search", "h", "--id", "0", "--where", "[1]")
    assert code == 2 and "JSON object" in err


def test_set_index_rewrites_the_manifest_for_the_next_reload(capsys, server) -> None:
    root = server.registry.root
    run(capsys, server, "create", "u", "--dim", "4")
    code, out, err = (
        main(
            [
                "set-index",
                "u",
                "--index",
                "ivf_flat",
                "--param",
                "nlist=4",
                "--artifacts-dir",
                str(root),
            ]
        ),
        *capsys.readouterr(),
    )
    assert code == 0 and "ivf_flat" in out, err
    from semspace.artifact import read_manifest

    assert read_manifest(root / "u").index.nlist == 4
    code = main(
        ["set-index", "u", "--index", "hnsw", "--param", "nlist=4", "--artifacts-dir", str(root)]
    )
    assert code == 2 and "index.params.nlist" in capsys.readouterr().err


def test_serve_and_client_commands_leave_torch_unimported() -> None:
    """Trainer commands import torch to describe their flags; serve and the client commands
    must not pay for that (~2 s and ~150 MiB per process)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from semspace.cli import build_parser, needs_trainers, parser_for\n"
        "for argv in (['serve'], ['--address', 'h:1', 'search', 's', '--id', 'a'], ['health']):\n"
        "    parser_for(argv).parse_args(argv)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "light = build_parser(with_trainers=False)\n"
        "assert needs_trainers(['train', 'word2vec'], light)\n"
        "assert needs_trainers(['export-w2v'], light)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
