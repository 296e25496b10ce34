"""Molva: social listening and brand sentiment for Russian-language markets."""

__version__ = "0.1.0"
