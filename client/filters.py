"""Payload filters written as plain dicts, turned into the protocol's Filter message.

    {"label": "shirt"}                          the field equals a value
    {"tags": ["sale", "new"]}                   the field holds one of these values
    {"price": {"gte": 10, "lt": 50}}            a numeric range (gt, gte, lt, lte)
    {"discount": {"exists": True}}              the field holds a value (False: it holds none:
                                                absent, null or an empty list)
    {"title": {"contains": "shirt"}}            the field holds a text with this substring
                                                (case-sensitive)
    {"label": "shirt", "price": {"lt": 50}}     several keys: all must hold
    {"$or": [{"label": "shirt"}, {"tags": "sale"}]}   at least one of these filters
    {"$not": {"label": "shirt"}}                none of this filter
    {"$id": ["sku1", "sku7"]}                   the point's id is one of these (or one id):
                                                a search among candidates

"$or" and "$not" nest at most MAX_NESTING (16) deep. Other keys starting with "$" are refused
("$and": several keys already must all hold; "$in": pass a list).

Fields are payload keys or dotted paths into nested objects ("size.width").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semspace.v1 import semspace_pb2 as pb

RANGE_BOUNDS = frozenset({"gt", "gte", "lt", "lte"})
# Protobuf parsers (the server's too) refuse messages nested past 100 levels, and each "$or"
# nests four (each "$not" two): past this, the filter is refused here with its reason.
MAX_NESTING = 16


def filter_to_pb(spec: Mapping[str, Any], nesting: int = 0) -> pb.Filter:
    if not isinstance(spec, Mapping):
        raise TypeError(f"a filter is a dict, got {type(spec).__name__}")
    if nesting > MAX_NESTING:
        raise ValueError(f'a filter nests "$or" and "$not" at most {MAX_NESTING} deep')
    message = pb.Filter()
    for key, value in spec.items():
        if key == "$or":
            alternatives = [
                pb.Condition(filter=filter_to_pb(option, nesting + 1)) for option in value
            ]
            message.must.append(pb.Condition(filter=pb.Filter(should=alternatives)))
        elif key == "$not":
            message.must_not.append(pb.Condition(filter=filter_to_pb(value, nesting + 1)))
        elif key == "$id":
            message.must.append(pb.Condition(has_id=pb.IdList(ids=_ids(value))))
        elif key.startswith("$"):
            raise ValueError(
                f'a filter\'s operators are "$or", "$not" and "$id", not {key!r} (several keys '
                "already must all hold)"
            )
        else:
            message.must.append(_condition(key, value))
    return message


def _condition(field: str, test: Any) -> pb.Condition:
    if isinstance(test, Mapping):
        if "exists" in test:
            return _exists(field, test)
        if "contains" in test:
            return _contains(field, test)
        unknown = set(test) - RANGE_BOUNDS
        if unknown or not test:
            raise ValueError(
                f"filter field {field!r}: a range takes gt, gte, lt, lte; got {sorted(test)} "
                "(for one of several values, pass a list; whether it holds one: exists; a "
                "substring: contains)"
            )
        return pb.Condition(field=field, range=pb.Range(**test))
    if isinstance(test, list | tuple | set | frozenset):
        values = [_value(field, v) for v in test]
        return pb.Condition(field=field, any_of=pb.ValueList(values=values))
    return pb.Condition(field=field, equals=_value(field, test))


def _exists(field: str, test: Mapping[str, Any]) -> pb.Condition:
    present = test["exists"]
    if len(test) != 1 or not isinstance(present, bool):
        raise ValueError(
            f"filter field {field!r}: exists takes True or False alone, got {dict(test)!r} "
            "(a range matches only points holding the field already)"
        )
    return pb.Condition(field=field, exists=present)


def _contains(field: str, test: Mapping[str, Any]) -> pb.Condition:
    text = test["contains"]
    if len(test) != 1 or not isinstance(text, str):
        raise ValueError(
            f"filter field {field!r}: contains takes one str alone, got {dict(test)!r}"
        )
    return pb.Condition(field=field, contains=text)


def _ids(value: Any) -> list[str]:
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list | tuple | set | frozenset) or not all(
        isinstance(point_id, str) for point_id in ids
    ):
        raise TypeError(f'filter "$id" takes an id or a list of ids (str), got {value!r}')
    return list(ids)


def _value(field: str, value: Any) -> pb.Value:
    # bool first: in Python it is also an int.
    if isinstance(value, bool):
        return pb.Value(flag=value)
    if isinstance(value, int | float):
        return pb.Value(number=value)
    if isinstance(value, str):
        return pb.Value(text=value)
    raise TypeError(f"filter field {field!r}: values are str, int, float or bool, got {value!r}")
