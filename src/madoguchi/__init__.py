"""Madoguchi (窓口): digital services for Japanese municipalities."""

__version__ = "0.1.0"
