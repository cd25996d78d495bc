"""Fixtures the community's tests share."""

from __future__ import annotations

import pytest

from paperwire.config import Settings
from tests.mail_server import MailServer


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: MailServer) -> Settings:
    """The test settings, mailing through the test SMTP server on loopback."""
    return settings.model_copy(update=smtp_server.settings())
