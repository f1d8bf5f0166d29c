"""`make bench`: the end-to-end benchmark of docs/design.md "Performance targets".

One router worker process against Kafka and Redis on this machine. Measured from the
client's side (publish to offer received), and beside it, in the same run, a bare Kafka
round trip with the same messages at the same rates, so the router's figures can be read
as a cost over what Kafka alone takes here.

Layout: machine (what it ran on), latency (summaries), traffic (messages and pacing),
baseline (bare round trip), routed (the router: worker, agents, offers), report
(BENCHMARKS.md), runner (the phases), command (CLI). Guide: docs/demo.md.
"""
