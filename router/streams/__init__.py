"""The Faust layer: thin agents that decode, call the core, commit through the store, emit."""
