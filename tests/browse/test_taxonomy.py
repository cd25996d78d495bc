from __future__ import annotations

import pytest

from paperwire.browse.taxonomy import (
    active_categories,
    canonical_category,
    describe_category,
    validate_category,
)
from paperwire.errors import InvalidParameter


def test_known_and_unknown_categories() -> None:
    lg = describe_category("cs.LG")
    assert (lg.name, lg.group, lg.known) == ("Machine Learning", "Computer Science", True)
    assert describe_category("hep-th").name == "High Energy Physics - Theory"
    assert describe_category("xx.YY").name == "xx.YY" and not describe_category("xx.YY").known
    assert canonical_category("cs.NA") == "math.NA"
    assert len(active_categories()) > 100


@pytest.mark.parametrize("bad", ["", "<script>", "cs LG", "a" * 41, "'; DROP TABLE papers"])
def test_invalid_category_codes(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        validate_category(bad)
