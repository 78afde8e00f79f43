"""Dukat bord: dialogue engine, channels and command line."""

__version__ = "0.1.0"
