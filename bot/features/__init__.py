"""Engine features: each contributes handler tables to the engine (see docs/ENGINE.md)."""
