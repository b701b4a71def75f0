"""SPEC 11: audit entries are immutable data."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from noc_actors.domain.audit import MAX_ENTITY_ID, AuditEntry, unauthorized
from noc_actors.domain.enums import AuditAction

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_audit_entry_cannot_be_changed() -> None:
    e = AuditEntry("t1", "u1", AuditAction.ACKNOWLEDGE, "alert", "a1", T0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.actor_id = "u2"  # type: ignore[misc]


def test_audit_entry_copies_metadata_and_parses_action() -> None:
    meta = {"level": 1}
    e = AuditEntry("t1", "system", "ESCALATE", "alert", "a1", T0, metadata=meta)  # type: ignore[arg-type]
    meta["level"] = 2
    assert e.metadata == {"level": 1}
    assert e.action is AuditAction.ESCALATE
    assert e.to_dict()["action"] == "ESCALATE"
    assert pickle.loads(pickle.dumps(e)) == e


def test_audit_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        AuditEntry("t1", "u1", AuditAction.ACKNOWLEDGE, "alert", "a1", datetime(2026, 1, 1))


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError):
        AuditEntry("t1", "u1", "DELETE_EVERYTHING", "alert", "a1", T0)  # type: ignore[arg-type]


def test_denial_is_audited_as_unauthorized_access_with_source_address() -> None:
    e = unauthorized(
        "t1",
        "u1",
        "noc:export",
        T0,
        entity_id="/api/noc/exports",
        source_ip="10.0.0.7",
        user_agent="x" * 1000,
    )
    assert e.action is AuditAction.UNAUTHORIZED_ACCESS
    assert e.metadata == {"capability": "noc:export"}
    assert e.source_ip == "10.0.0.7"
    assert e.user_agent is not None and len(e.user_agent) == 512


def test_an_over_long_entity_id_is_cut_to_the_column_and_its_length_kept() -> None:
    path = "GET /api/noc/users/" + "u" * 600
    e = AuditEntry("t1", "u1", AuditAction.UNAUTHORIZED_ACCESS, "endpoint", path, T0)
    assert len(e.entity_id) == MAX_ENTITY_ID and e.entity_id.startswith("GET /api/noc/users/u")
    assert e.metadata["entity_id_length"] == len(path)
    short = AuditEntry("t1", "u1", AuditAction.ACKNOWLEDGE, "alert", "a" * MAX_ENTITY_ID, T0)
    assert short.entity_id == "a" * MAX_ENTITY_ID and "entity_id_length" not in short.metadata
