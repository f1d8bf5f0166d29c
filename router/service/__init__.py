"""The application layer: what each input event does, through the core and the store.

It sits between the thin Faust agents (which decode and publish) and the pure core
(which decides) and the store (which commits atomically). It returns output events and
never publishes them itself, so the simulator and the tests can drive it without Kafka.
"""
