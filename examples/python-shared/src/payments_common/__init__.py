"""Helpers shared by the payments team's Lambda functions."""

from .money import Money
from .retry import retry

__all__ = ["Money", "retry"]
