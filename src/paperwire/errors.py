"""The one error for bad user input, wherever the input was typed: a query string, a
form, a command-line option. Every domain package raises it and may import it (this
module imports nothing from the project); the web answers it with a 400 naming the
parameter, the CLI with the same message and exit code 2."""

from __future__ import annotations


class InvalidParameter(ValueError):
    """A user-supplied value is malformed or out of range. ``parameter`` names it as the
    user typed it (``date``, ``limit``, ``q``, ``from``…); ``message`` says what is
    wrong, quoting at most a bounded part of the value."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message
