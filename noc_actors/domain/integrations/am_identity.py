"""How an Alertmanager alert is known in the NOC: Prometheus' label-set
fingerprint, the per-client dedup key built from it, and the ``source`` tag
its alerts carry. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from noc_actors.domain.dedup import external_dedup_key

__all__ = ["SOURCE", "dedup_key", "fingerprint"]

SOURCE = "alertmanager"

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = b"\xff"


def fingerprint(labels: Mapping[str, str]) -> str:
    """Prometheus' ``LabelSet.Fingerprint()`` (FNV-1a 64 over the sorted
    names, each ``name 0xff value 0xff``) as Alertmanager prints it (%016x).
    The empty set hashes to the FNV offset basis."""
    h = _FNV_OFFSET
    for name in sorted(labels):
        for byte in name.encode() + _SEPARATOR + labels[name].encode() + _SEPARATOR:
            h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return f"{h:016x}"


def dedup_key(client_id: str, fp: str) -> str:
    """The NOC dedup key of an Alertmanager alert of one client."""
    return external_dedup_key("am", client_id, fp)
