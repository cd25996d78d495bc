"""The one error a browse function raises for bad user input."""

from __future__ import annotations


class InvalidParameter(ValueError):
    """A user-supplied value is malformed; ``parameter`` names it so the web layer can
    answer 400 saying which one (``date``, ``week``, ``month``, ``limit``, ``cursor``…)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
