"""Harvest state on both backends: start, advance, complete, restart."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from paperwire.store import HarvestKey, Store

KEY = HarvestKey("arxiv_oai", "math", "arXiv")


def test_harvest_state_lifecycle(store: Store) -> None:
    assert store.get_harvest(KEY) is None
    started = store.start_harvest(KEY, from_date=date(2026, 11, 1), until_date=None)
    assert started.in_progress and started.pages_done == 0 and started.resumption_token is None
    store.advance_harvest(KEY, token="t1", cursor=100, complete_list_size=250, records=100,
                          max_datestamp=date(2026, 11, 4))
    state = store.advance_harvest(KEY, token="t2", cursor=200, complete_list_size=None, records=100,
                                  max_datestamp=date(2026, 11, 2))
    assert (state.pages_done, state.records_done, state.cursor) == (2, 200, 200)
    assert state.resumption_token == "t2" and state.complete_list_size == 250
    assert state.max_datestamp == date(2026, 11, 4)  # the newest seen, not the last page's
    done = store.complete_harvest(KEY)
    assert not done.in_progress and done.completed_at is not None
    assert done.harvested_until == date(2026, 11, 4) and done.resumption_token is None
    # a new window resets progress but keeps how far the last complete one got
    again = store.start_harvest(KEY, from_date=date(2026, 11, 4), until_date=date(2026, 11, 30))
    assert again.in_progress and again.pages_done == 0 and again.records_done == 0
    assert again.harvested_until == date(2026, 11, 4) and again.until_date == date(2026, 11, 30)
    assert store.get_harvest(KEY) == again


def test_advance_without_a_harvest_in_progress_is_refused(store: Store) -> None:
    with pytest.raises(LookupError):
        store.advance_harvest(KEY, token=None, cursor=0, complete_list_size=None, records=0,
                              max_datestamp=None)


def test_leases_have_one_holder_and_lapse(store: Store) -> None:
    assert store.acquire_lease("job", "a", seconds=60)
    assert store.acquire_lease("job", "a", seconds=60)  # the holder renews
    assert not store.acquire_lease("job", "b", seconds=60)
    holder = store.lease_holder("job")
    assert holder is not None and holder[0] == "a"
    store.release_lease("job", "b")  # not the holder: nothing happens
    assert not store.acquire_lease("job", "b", seconds=60)
    store.release_lease("job", "a")
    assert store.lease_holder("job") is None
    assert store.acquire_lease("job", "b", seconds=-1)  # taken, already lapsed
    assert store.lease_holder("job") is None
    assert store.acquire_lease("job", "c", seconds=60)  # a lapsed lease can be taken
    assert store.acquire_lease("other", "a", seconds=60)  # leases are independent


def test_a_dead_local_holder_can_be_taken_over(store: Store) -> None:
    import socket
    import subprocess
    import sys

    from paperwire.store.leases_sql import holder_is_dead, new_owner

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f"{socket.gethostname()}:{child.pid}:abcd1234"
    assert holder_is_dead(dead)
    assert not holder_is_dead(new_owner())  # this very process
    assert not holder_is_dead(f"elsewhere.example:{child.pid}:abcd1234")  # lapses by time only
    assert store.acquire_lease("job", dead, seconds=600)
    me = new_owner()
    assert store.acquire_lease("job", me, seconds=60)  # at once, not after 600 s
    assert store.lease_holder("job") is not None and store.lease_holder("job")[0] == me  # type: ignore[index]
    assert not store.acquire_lease("job", new_owner(), seconds=60)  # a live holder keeps it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_holder_not_yet_reaped_is_dead(store: Store) -> None:
    """A killed holder whose parent died too stays a zombie where PID 1 reaps nothing
    (many containers); it still answers kill(pid, 0) but holds nothing."""
    import socket
    import subprocess
    import time
    from pathlib import Path

    from paperwire.store.leases_sql import holder_is_dead

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # exited, not reaped: a zombie
            if Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
                break
            time.sleep(0.01)
        owner = f"{socket.gethostname()}:{child.pid}:abcd1234"
        assert holder_is_dead(owner)
        assert store.acquire_lease("job", owner, seconds=600)
        assert store.acquire_lease("job", "someone-else", seconds=60)  # taken over at once
    finally:
        child.wait()
