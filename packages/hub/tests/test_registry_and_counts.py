"""Engine ids and the queue counts, without sockets."""

import pytest

from ipcluster.hub import EngineRegistry, QueueCounts, RegistrationRefused
from ipcluster.protocol import registry_pb2 as reg


def request(uuid: str, requested: int = -1) -> reg.RegistrationRequest:
    return reg.RegistrationRequest(uuid=uuid, requested_id=requested)


def test_ids_count_up_and_are_never_reused():
    """Engines get 0, 1, 2...; the id of an engine that left is not handed out again."""
    registry = EngineRegistry.empty()
    assert [0, 1] == [registry.register(request(u)).engine_id for u in ("a", "b")]
    registry.unregister("b")
    assert 2 == registry.register(request("c")).engine_id


def test_requested_id_is_honoured_when_free():
    """An engine asking for a free id (an MPI rank) gets it; a taken one falls back to the next."""
    registry = EngineRegistry.empty()
    assert 5 == registry.register(request("a", 5)).engine_id
    assert 6 == registry.register(request("b", 5)).engine_id
    assert 0 == registry.register(request("c", 0)).engine_id


def test_same_uuid_twice_is_refused():
    """A second registration under one uuid is an error, not a second engine."""
    registry = EngineRegistry.empty()
    registry.register(request("a"))
    with pytest.raises(RegistrationRefused, match="already registered"):
        registry.register(request("a"))


def test_counts_follow_a_task_from_submission_to_finish():
    """A direct task counts against its engine while pending, then as completed."""
    counts = QueueCounts()
    counts.submitted("m", "e")
    assert (1, 1) == (len(counts), counts.pending_by_engine["e"])
    assert counts.finished("m", "e")
    assert (0, 0, 1) == (len(counts), counts.pending_by_engine["e"], counts.completed_by_engine["e"])
    assert not counts.finished("m", "e"), "a second reply for one task counts once"


def test_tasks_of_a_departed_engine_are_handed_back_and_late_replies_change_nothing():
    """When an engine leaves, the tasks it held are returned for failing, and its counters go."""
    counts = QueueCounts()
    counts.submitted("stuck", "e")
    counts.submitted("other", "f")
    assert ["stuck"] == counts.forget_engine("e")
    assert not counts.finished("stuck", "e")
    assert (1, 0) == (len(counts), counts.pending_by_engine.get("e", 0))


def test_load_balanced_task_moves_to_its_engine():
    """A task waits under "" until assigned, then counts against its engine."""
    counts = QueueCounts()
    counts.submitted("m", "")
    assert 1 == counts.pending_by_engine[""]
    counts.assigned("m", "e1")
    assert (0, 1) == (counts.pending_by_engine[""], counts.pending_by_engine["e1"])
    counts.finished("m", "e1")
    assert (0, 1) == (counts.pending_by_engine["e1"], counts.completed_by_engine["e1"])


def test_ids_stay_within_int32():
    """After an engine took the top int32 id, automatic ids wrap around to free ones."""
    registry = EngineRegistry.empty()
    assert 2**31 - 1 == registry.register(request("b", 2**31 - 1)).engine_id
    assert 0 == registry.register(request("c")).engine_id
