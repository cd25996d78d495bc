"""Secrets out of text that is shown: a database URL printed by the CLI, an error
message kept from a failed harvest and served by ``/status``.

Such text is made from URLs that can carry credentials (``postgresql://user:pw@host``,
``https://TOKEN@host``, ``?token=…``); what is shown keeps the rest, so an operator
still sees which host and path failed.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://userinfo@ — the userinfo ends at the last "@" before the path, so a password
# holding an unencoded "@" is masked whole.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^\s/?#]*)@")
# name=value where the name says it is a secret: query parameters (?token=, &api_key=,
# ;sig=) and libpq keyword strings (password=… sslpassword=…).
_SECRET_PARAM = re.compile(
    r"(?P<name>(?:^|(?<=[?&;\s]))(?:[A-Za-z0-9_.-]*[_.-]|ssl)?"
    r"(?:token|key|apikey|secret|password|passwd|pwd|signature|sig|auth|credential)s?)"
    # The value ends where the parameter does; a colon right before that is the "URL:
    # problem" of an error message, not part of the secret.
    r"=(?P<value>[^&\s#;'\"]+?)(?=:?(?:[&\s#;'\"]|$))",
    re.IGNORECASE,
)


def _userinfo(match: re.Match[str]) -> str:
    user, sep, _password = match["info"].partition(":")
    # A user alone can itself be the secret (https://TOKEN@host), so it goes too.
    shown = f"{user}:{MASK}" if sep else MASK
    return f"{match['scheme']}{shown}@"


def redact_secrets(text: str) -> str:
    """``text`` with URL passwords (and lone URL user names), and the values of
    secret-looking parameters, replaced by ``***``."""
    text = _USERINFO.sub(_userinfo, text)
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}={MASK}", text)
