"""Cost of decoding (parse + validate) and encoding one typical event.

    .venv/bin/python benchmarks/contract_decode.py

Typical event: work_item.created with 10 attributes (the contract's example). Target:
decode at most 20 us per event on this machine. Figures are the best of several timing
rounds, in microseconds per event.
"""

from __future__ import annotations

import timeit

from router.contract import decode, derive_id, encode
from router.contract.deadletter import dead_letter_bytes
from router.contract.examples import EXAMPLES

TARGET_DECODE_US = 20.0


def _best_us(stmt: object, number: int, repeat: int = 7) -> float:
    timer = timeit.Timer(stmt)  # type: ignore[arg-type]
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main() -> None:
    event = EXAMPLES["work_item.created"]
    raw = encode(event)
    attrs = len(event.data.attributes)
    tenants = frozenset({"contoso", "fabrikam", "northwind"})
    small = encode(EXAMPLES["agent.presence_changed"])
    offer = EXAMPLES["offer.issued"]

    figures = {
        f"decode work_item.created ({len(raw)} B, {attrs} attributes)": _best_us(
            lambda: decode(raw), 20_000
        ),
        "decode work_item.created + tenant/topic/key checks": _best_us(
            lambda: decode(
                raw,
                known_tenants=tenants,
                types=frozenset({"work_item.created"}),
                key=b"contoso/conv-20250301-0042",
            ),
            20_000,
        ),
        f"decode agent.presence_changed ({len(small)} B)": _best_us(lambda: decode(small), 20_000),
        "encode work_item.created": _best_us(lambda: encode(event), 20_000),
        "encode offer.issued (with explanation)": _best_us(lambda: encode(offer), 20_000),
        "derive_id": _best_us(lambda: derive_id("evt-7f3a1c", "offer.issued", 0), 50_000),
        "dead_letter_bytes (600 B record)": _best_us(
            lambda: dead_letter_bytes(
                raw, b"contoso/x", [("h", b"v")], "router.work-items", 0, 1, "x"
            ),
            5_000,
        ),
    }
    width = max(map(len, figures))
    for name, us in figures.items():
        print(f"{name:<{width}}  {us:7.2f} us")
    decode_us = next(iter(figures.values()))
    verdict = "OK" if decode_us <= TARGET_DECODE_US else "OVER TARGET"
    print(f"decode target <= {TARGET_DECODE_US:.0f} us: {verdict}")


if __name__ == "__main__":
    main()
