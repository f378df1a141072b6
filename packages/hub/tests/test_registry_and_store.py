"""Engine ids and the bounded task record store, without sockets."""

import pytest

from ipcluster.hub import EngineRegistry, RegistrationRefused, TaskRecord, TaskStore
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


def test_store_evicts_oldest_finished_records_only():
    """Past its bound the store drops the oldest finished records and keeps pending ones."""
    store = TaskStore(max_records=3)
    for i in range(5):
        store.submitted(TaskRecord(f"m{i}", b"c", "e", 1, float(i)))
    for i in (1, 2, 3):
        store.finished(f"m{i}", "e", 10.0, 1)
    assert 3 == len(store)
    assert store.get("m0") is not None and store.get("m4") is not None  # pending
    assert store.get("m1") is None and store.get("m2") is None
    assert 2 == store.pending_by_engine["e"]
    assert 3 == store.completed_by_engine["e"]


def test_records_of_a_departed_engine_are_failed_and_evictable():
    """When an engine leaves, its unfinished records are finished as failed, and late events change nothing."""
    store = TaskStore(max_records=1)
    store.submitted(TaskRecord("stuck", b"c", "e", 1, 0.0))
    store.forget_engine("e", 5.0)
    assert (5.0, 2) == (store.get("stuck").completed, store.get("stuck").status)
    store.finished("stuck", "e", 6.0, 1)
    assert 0 == store.pending_by_engine.get("e", 0)
    store.submitted(TaskRecord("next", b"c", "f", 1, 1.0))
    assert store.get("stuck") is None


def test_load_balanced_record_moves_to_its_engine():
    """A task waits under "" until assigned, then counts against its engine."""
    store = TaskStore()
    store.submitted(TaskRecord("m", b"c", "", 2, 0.0))
    assert 1 == store.pending_by_engine[""]
    store.assigned("m", "e1")
    assert (0, 1) == (store.pending_by_engine[""], store.pending_by_engine["e1"])
    store.finished("m", "e1", 1.0, 1)
    assert (0, 1) == (store.pending_by_engine["e1"], store.completed_by_engine["e1"])


def test_ids_stay_within_int32():
    """After an engine took the top int32 id, automatic ids wrap around to free ones."""
    registry = EngineRegistry.empty()
    assert 2**31 - 1 == registry.register(request("b", 2**31 - 1)).engine_id
    assert 0 == registry.register(request("c")).engine_id
