"""Request checks that need no space contents; each message names the field and the limit."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence

from semspace.artifact import SPACE_NAME_PATTERN, Metric
from semspace.server.errors import InvalidArgument, ResourceExhausted
from semspace.server.settings import ServerSettings

MAX_ID_BYTES = 256
MAX_DOUBLE = sys.float_info.max
# Every ListSpaces answer carries each space's description: a few long ones must not push it
# past the message limit.
MAX_DESCRIPTION_BYTES = 4096
# Objects and arrays inside one another in a payload. Filters reach nested objects by dotted
# paths, one segment a level; Python's JSON parser gives up (RecursionError) near 1,000.
MAX_PAYLOAD_NESTING = 32
DEFAULT_K = 10
DEFAULT_PAGE = 100
_SPACE_NAME = re.compile(SPACE_NAME_PATTERN)


def check_space_name(name: str, field: str = "space", *, versioned: bool = True) -> str:
    """A space name, or (where `versioned`) a reference to one version: 'words@2'."""
    if not name:
        raise InvalidArgument(f"{field}: a space name is required")
    base, at, version = name.partition("@")
    if versioned and at and not (version.isdigit() and int(version) >= 1):
        raise InvalidArgument(
            f"{field}: '{name[:80]}' names version '{version[:20]}'; a version is a positive "
            "integer, as in 'words@2'"
        )
    if not _SPACE_NAME.match(base if versioned else name):
        raise InvalidArgument(
            f"{field}: '{name[:80]}' is not a valid space name (1-64 characters: lowercase "
            "letters, digits, '_', '-', '.'; starting with a letter or digit)"
        )
    return name


def check_count(count: int, field: str, settings: ServerSettings, setting: str) -> None:
    """Rejects an empty batch and one above the server's limit, the setting named `setting`."""
    if count == 0:
        raise InvalidArgument(f"{field}: is empty; send at least one")
    check_at_most(count, field, settings, setting)


def check_at_most(count: int, field: str, settings: ServerSettings, setting: str) -> None:
    limit = getattr(settings, setting)
    if count > limit:
        raise ResourceExhausted(
            f"{field}: {count:,} items exceed the limit of {limit:,} per request ({setting}); "
            "split the request"
        )


def check_ids(
    ids: Sequence[str], field: str, settings: ServerSettings, setting: str, *, unique: bool
) -> list[str]:
    check_count(len(ids), field, settings, setting)
    seen: set[str] = set()
    for position, point_id in enumerate(ids):
        check_id(point_id, f"{field}[{position}]")
        if unique and point_id in seen:
            raise InvalidArgument(
                f"{field}[{position}]: id '{point_id}' appears twice in one request"
            )
        seen.add(point_id)
    return list(ids)


def check_answer_vectors(rows: int, dim: int, limit: int, fields: str) -> None:
    """Refuses, before any work, a request whose answer would carry `rows` vectors of `dim`
    floats: more bytes than one message may hold, so it could never be sent (and building it
    would cost time and memory for nothing)."""
    size = rows * dim * 4
    if size > limit:
        raise ResourceExhausted(
            f"{fields}: the answer would hold {rows:,} vectors of {dim} floats, {size:,} bytes, "
            f"over the limit of {limit:,} bytes a message (max_message_bytes); ask for fewer, "
            "or without vectors"
        )


def check_answer_bytes(size: int, limit: int, fields: str) -> None:
    """Refuses an answer its payloads made larger than one message may be: gRPC would refuse it
    too, but without naming what to ask for less of."""
    if size > limit:
        raise ResourceExhausted(
            f"{fields}: the answer with its payloads is {size:,} bytes, over the limit of "
            f"{limit:,} bytes a message (max_message_bytes); ask for fewer, or without payloads"
        )


def check_id(point_id: str, field: str) -> None:
    if not point_id:
        raise InvalidArgument(f"{field}: ids must be non-empty strings")
    if len(point_id.encode()) > MAX_ID_BYTES:
        raise InvalidArgument(f"{field}: id is longer than {MAX_ID_BYTES} UTF-8 bytes")
    if "\n" in point_id or "\r" in point_id:
        raise InvalidArgument(f"{field}: ids may not contain line breaks")


def check_description(description: str, field: str = "description") -> str:
    size = len(description.encode())
    if size > MAX_DESCRIPTION_BYTES:
        raise InvalidArgument(
            f"{field}: is {size:,} UTF-8 bytes, over the limit of {MAX_DESCRIPTION_BYTES:,}"
        )
    return description


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# Payload numbers are filtered on as doubles: one past a double's range would be stored as
# Infinity (not JSON), or could not be indexed at all.


class _BeyondDoubles(ValueError):
    def __init__(self, text: str) -> None:
        shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"
        super().__init__(f"the number {shown} is beyond the range of a double")


def _double(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BeyondDoubles(text)
    return value


def _integer_in_double_range(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_DOUBLE:
        raise _BeyondDoubles(text)
    return value


def nesting(value: object) -> int:
    """Levels of objects and arrays in a parsed JSON value (a number or text: 0), counted a
    level at a time: no recursion, whatever the depth."""
    depth, level = 0, [value]
    while containers := [v for v in level if isinstance(v, dict | list)]:
        depth += 1
        level = [c for v in containers for c in (v.values() if isinstance(v, dict) else v)]
    return depth


def _nested_too_deep(field: str) -> InvalidArgument:
    return InvalidArgument(
        f"{field}: payload nests objects and arrays more than {MAX_PAYLOAD_NESTING} deep"
    )


def canonical_payloads(
    payloads: Sequence[str], count: int, field: str, max_bytes: int
) -> list[str]:
    """Each payload parsed as a JSON object and re-serialised compactly ("" = no payload)."""
    if not payloads:
        return [""] * count
    if len(payloads) != count:
        raise InvalidArgument(
            f"{field}: {len(payloads)} payloads for {count} ids; send none or one per id"
        )
    canonical = []
    for position, text in enumerate(payloads):
        if not text:
            canonical.append("")
            continue
        if len(text.encode()) > max_bytes:
            raise InvalidArgument(f"{field}[{position}]: payload exceeds {max_bytes} bytes")
        try:
            value = json.loads(
                text,
                parse_constant=_reject_constant,
                parse_float=_double,
                parse_int=_integer_in_double_range,
            )
        except RecursionError:
            raise _nested_too_deep(f"{field}[{position}]") from None
        except _BeyondDoubles as error:
            raise InvalidArgument(f"{field}[{position}]: {error}") from None
        except ValueError as error:
            raise InvalidArgument(f"{field}[{position}]: malformed JSON ({error})") from error
        if not isinstance(value, dict):
            raise InvalidArgument(
                f"{field}[{position}]: payload must be a JSON object, got {type(value).__name__}"
            )
        # Brackets counted in the text bound the depth from above (those inside strings too):
        # most payloads need no walk.
        brackets = text.count("{") + text.count("[")
        if brackets > MAX_PAYLOAD_NESTING and nesting(value) > MAX_PAYLOAD_NESTING:
            raise _nested_too_deep(f"{field}[{position}]")
        canonical.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return canonical


def check_k(k: int | None, limit: int, field: str = "k", default: int = DEFAULT_K) -> int:
    if k is None:
        return min(default, limit)
    if not 1 <= k <= limit:
        raise InvalidArgument(f"{field}: must be between 1 and {limit}, got {k}")
    return k


def check_score_threshold(threshold: float | None, metric: Metric) -> float | None:
    """A Search's score_threshold: finite and among the scores the metric gives, so that a
    threshold meant for another metric (80 for 0.8) is named rather than matching nothing."""
    if threshold is None:
        return None
    if not math.isfinite(threshold):
        raise InvalidArgument(f"score_threshold: must be a finite number, got {threshold}")
    if metric is Metric.COSINE and not -1 <= threshold <= 1:
        raise InvalidArgument(f"score_threshold: cosine scores lie in [-1, 1], got {threshold}")
    if metric is Metric.L2 and threshold < 0:
        raise InvalidArgument(
            f"score_threshold: l2 scores are distances, at least 0, got {threshold}"
        )
    return threshold


def check_weight(weight: float, field: str) -> float:
    if not math.isfinite(weight):
        raise InvalidArgument(f"{field}: weight must be finite, got {weight}")
    return weight or 1.0
