"""Exceptions of the Temporal SDK.

This module holds the base classes; the failure-converter classes
(``ApplicationError`` and friends) are defined here too as they land.
"""

from __future__ import annotations

__all__ = ["TemporalError"]


class TemporalError(Exception):
    """Base of every error this SDK raises on purpose."""
