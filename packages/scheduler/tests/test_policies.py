"""Load-balancing policies and their discovery through entry points."""

import pytest

from ipcluster.scheduler import EngineSlot, LeastLoad, LeastRecentlyUsed, PlainRandom, load_policy
from ipcluster.scheduler.policies import UnknownPolicy


def slots() -> list[EngineSlot]:
    a, b, c = EngineSlot(b"a", 0), EngineSlot(b"b", 1), EngineSlot(b"c", 2)
    a.outstanding = {"1": None, "2": None}
    b.outstanding = {"3": None}
    c.outstanding = {"4": None}
    a.last_assigned, b.last_assigned, c.last_assigned = 7, 9, 3
    return [a, b, c]


def test_leastload_picks_fewest_outstanding_then_lowest_id():
    """Ties on load go to the lowest engine id."""
    assert 1 == LeastLoad().choose(slots()).engine_id


def test_lru_picks_the_engine_used_longest_ago():
    """The engine whose last task was assigned earliest gets the next one."""
    assert 2 == LeastRecentlyUsed().choose(slots()).engine_id


def test_plainrandom_only_picks_candidates():
    """A random choice is always one of the candidates."""
    candidates = slots()
    assert all(PlainRandom().choose(candidates) in candidates for _ in range(50))


@pytest.mark.parametrize("name, cls", [("leastload", LeastLoad), ("lru", LeastRecentlyUsed),
                                       ("plainrandom", PlainRandom)])
def test_builtin_policies_load_by_entry_point_name(name, cls):
    """Policies are found by name through the ipcluster.scheduler_policies entry points."""
    assert isinstance(load_policy(name), cls)


def test_unknown_policy_names_the_known_ones():
    """An unknown --scheme lists what is available."""
    with pytest.raises(UnknownPolicy, match="leastload"):
        load_policy("nonesuch")
