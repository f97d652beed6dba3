"""Limits that apply to any call, checked before its handler: deadline and encoded image sizes.

Per-field limits (k, batch sizes, dimensions) live in validation.py beside the fields' checks;
the message size limit is gRPC's own (max_message_bytes).
"""

from __future__ import annotations

import functools

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from semspace.server.errors import InvalidArgument, ResourceExhausted

IMAGE_FIELDS = ("image", "images")
# gRPC reports "no deadline" as a deadline centuries away; anything past this means none.
NO_DEADLINE_SECONDS = 10 * 365 * 24 * 3600
# A deadline arrives rounded up by the transport: a client asking for exactly the limit must pass.
DEADLINE_SLACK_SECONDS = 1.0


def check_deadline(time_remaining: float | None, limit: float) -> None:
    """A call may ask for at most `limit` seconds; calls without a deadline are served."""
    if time_remaining is None or time_remaining > NO_DEADLINE_SECONDS:
        return
    if time_remaining > limit + DEADLINE_SLACK_SECONDS:
        raise InvalidArgument(
            f"deadline: {time_remaining:,.0f} s exceeds the server's limit of {limit:,.0f} s "
            "(max_deadline_seconds); ask for a shorter timeout"
        )


@functools.cache
def _holds_images(descriptor: Descriptor) -> bool:
    """Whether a message type can carry an encoded image anywhere inside it."""
    return _reaches_images(descriptor, frozenset())


def _reaches_images(descriptor: Descriptor, seen: frozenset[str]) -> bool:
    # Messages may nest themselves (a Filter holds Conditions holding Filters): visit each once.
    seen = seen | {descriptor.full_name}
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_BYTES and field.name in IMAGE_FIELDS:
            return True
        if (
            field.type == FieldDescriptor.TYPE_MESSAGE
            and field.message_type.full_name not in seen
            and _reaches_images(field.message_type, seen)
        ):
            return True
    return False


def check_image_bytes(message: Message, limit: int, path: str = "") -> None:
    """Rejects any encoded image above `limit` bytes, naming the field it came in."""
    if not _holds_images(message.DESCRIPTOR):
        return
    for field, value in message.ListFields():
        name = f"{path}{field.name}"
        items = list(value) if field.is_repeated else [value]
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for position, item in enumerate(items):
                suffix = f"[{position}]." if field.is_repeated else "."
                check_image_bytes(item, limit, name + suffix)
        elif field.type == FieldDescriptor.TYPE_BYTES and field.name in IMAGE_FIELDS:
            for position, item in enumerate(items):
                if len(item) > limit:
                    where = f"{name}[{position}]" if field.is_repeated else name
                    raise ResourceExhausted(
                        f"{where}: {len(item):,} bytes exceed the limit of {limit:,} bytes per "
                        "image (max_image_bytes); send a smaller PNG/JPEG"
                    )
