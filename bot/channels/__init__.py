"""Channel adapters: translate between a chat network and the engine, nothing more."""
