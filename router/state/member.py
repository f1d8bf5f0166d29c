"""Order-preserving encoding of an item's priority as a sorted-set member.

Why not a float score: the core orders a queue by ``(bucket, order key, item id)``
where the order key is a tuple of floats (descending terms already negated by the core,
see ``router.core.prioritize``). One double cannot hold that exactly. So every member of
a queue's sorted set has score 0 and Redis orders members byte-wise (lexicographically):

    member = hex4(bucket + 1) + hex16(part_1) + ... + hex16(part_n) + "." + item_id

``hex16`` is the IEEE-754 order-preserving transform (positive: flip the sign bit;
negative: invert every bit), so byte order equals numeric order; -0.0 is stored as 0.0
and every NaN as one NaN after +inf. ``.`` sorts below every hex digit, so a shorter key
sorts before a longer one with the same start, exactly like Python tuples, and the item
id (UTF-8 byte order = code point order) breaks ties like ``sort_key`` does. Descending
parts can also be encoded here (``descending=``) by inverting their bits.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

_SIGN = 1 << 63
_MASK = (1 << 64) - 1
_NAN = struct.unpack(">Q", struct.pack(">d", math.nan))[0]
MAX_BUCKET = 0xFFFE  # bucket + 1 must fit four hex digits (-1 is the affinity bucket)


def encode_float(value: float, descending: bool = False) -> str:
    """16 hex digits whose byte order is the numeric order of ``value``."""
    # -0.0 + 0.0 is 0.0: both zeros get one encoding; every NaN gets one encoding
    bits = _NAN if math.isnan(value) else struct.unpack(">Q", struct.pack(">d", value + 0.0))[0]
    bits = (bits ^ _MASK) if bits & _SIGN else (bits | _SIGN)
    if descending:
        bits ^= _MASK
    return f"{bits:016x}"


def decode_float(text: str) -> float:
    bits = int(text, 16)
    bits = (bits ^ _SIGN) if bits & _SIGN else (bits ^ _MASK)
    value: float = struct.unpack(">d", struct.pack(">Q", bits))[0]
    return value


def encode_member(
    bucket: int,
    order_key: Sequence[float],
    item_id: str,
    descending: Sequence[bool] = (),
) -> str:
    """The sorted-set member of an item: sorts like ``(bucket, order_key, item_id)``."""
    if not -1 <= bucket <= MAX_BUCKET - 1:
        raise ValueError(f"bucket {bucket}: must be between -1 and {MAX_BUCKET - 1}")
    parts = [f"{bucket + 1:04x}"]
    for index, value in enumerate(order_key):
        desc = descending[index] if index < len(descending) else False
        parts.append(encode_float(float(value), desc))
    parts.append(".")
    parts.append(item_id)
    return "".join(parts)


def item_of(member: str) -> str:
    """The item id at the end of a member."""
    return member[member.index(".") + 1 :]


def decode_member(member: str) -> tuple[int, tuple[float, ...], str]:
    """``(bucket, order key, item id)`` of an ascending-only member (for diagnostics)."""
    head, _, item_id = member.partition(".")
    bucket = int(head[:4], 16) - 1
    key = tuple(decode_float(head[i : i + 16]) for i in range(4, len(head), 16))
    return bucket, key, item_id
