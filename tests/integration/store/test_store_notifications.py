"""The notification tables on both backends: one notice per (alert, kind,
level) whatever replays, one delivery per (notice, contact point), leases
that hold work until they run out, and acknowledge links that work once and
expire."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.notify.notices import Notice
from noc_actors.store.repos import notifications
from noc_actors.store.schema import notices
from tests.integration.store.conftest import T0, Org


def notice(org: Org, alert_id: str, level: int, kind: str = "escalation") -> Notice:
    return Notice(
        org.tenant_a,
        org.client_a1,
        alert_id,
        kind,
        level,
        "tenant_admins",
        "CRITICAL",
        T0,  # type: ignore[arg-type]
    )


async def mine(engine: AsyncEngine, alert_id: str) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(notices).where(notices.c.alert_id == alert_id))
        return [dict(r._mapping) for r in rows]


async def test_a_notice_is_written_once_per_alert_kind_and_level(
    engine: AsyncEngine, org: Org
) -> None:
    alert = str(uuid.uuid4())
    for _ in range(2):  # a replayed commit
        async with engine.begin() as conn:
            await notifications.add_notices(conn, [notice(org, alert, 1), notice(org, alert, 2)])
    async with engine.begin() as conn:
        await notifications.add_notices(conn, [notice(org, alert, 0, "resolved")])
    got = sorted((r["kind"], r["level"]) for r in await mine(engine, alert))
    assert got == [("escalation", 1), ("escalation", 2), ("resolved", 0)]


async def test_claims_hold_work_until_the_lease_runs_out(engine: AsyncEngine, org: Org) -> None:
    alert = str(uuid.uuid4())
    async with engine.begin() as conn:
        await notifications.add_notices(conn, [notice(org, alert, 1)])
        await notifications.create_contact(
            conn,
            tenant_id=org.tenant_a,
            now=T0,
            name=f"hook-{alert[:6]}",
            channel="webhook",
            config={"url": "http://x"},
            secret=None,
            user_id=None,
            min_severity="LOW",
            delay_s=0,
            send_resolved=True,
            enabled=True,
        )

    async def claim(at_s: float) -> list[dict]:
        async with engine.begin() as conn:
            got = await notifications.claim_notices(
                conn, now=T0 + timedelta(seconds=at_s), lease_s=10, limit=1000
            )
        return [n for n in got if n["alert_id"] == alert]

    (held,) = await claim(0)
    assert await claim(5) == []  # held by the first claimer
    (again,) = await claim(11)  # its holder died: the lease ran out
    async with engine.connect() as conn:
        (contact,) = [
            c
            for c in await notifications.list_contacts(conn, tenant_id=org.tenant_a)
            if c["name"] == f"hook-{alert[:6]}"
        ]
    row = {
        "notice_id": again["id"],
        "tenant_id": org.tenant_a,
        "alert_id": alert,
        "contact_id": contact["id"],
        "contact_name": contact["name"],
        "user_id": None,
        "channel": "webhook",
        "kind": "escalation",
        "level": 1,
        "state": "pending",
        "attempts": 0,
        "next_at": T0,
        "lease_until": None,
        "last_error": None,
        "created_at": T0,
        "done_at": None,
    }
    for n in (1, 2):  # planned twice (two claimers in turn): one delivery
        async with engine.begin() as conn:
            await notifications.plan_notice(
                conn, notice=again, planned=[{**row, "id": f"{alert}-{n}"}]
            )
    assert (await mine(engine, alert))[0]["state"] == "planned"
    async with engine.begin() as conn:
        due = await notifications.claim_deliveries(conn, now=T0, lease_s=10, limit=1000)
    (delivery,) = [d for d in due if d["alert_id"] == alert]
    assert delivery["id"] == f"{alert}-1"
    async with engine.begin() as conn:
        await notifications.record_attempt(
            conn,
            delivery=delivery,
            attempt=1,
            outcome="retry",
            state="pending",
            status_code=503,
            error="HTTP 503",
            latency_ms=12.0,
            at=T0,
            next_at=T0 + timedelta(seconds=4),
        )
    async with engine.begin() as conn:  # not due before its backoff, nor held
        early = await notifications.claim_deliveries(conn, now=T0, lease_s=10, limit=1000)
        late = await notifications.claim_deliveries(
            conn, now=T0 + timedelta(seconds=5), lease_s=10, limit=1000
        )
    assert [d for d in early if d["alert_id"] == alert] == []
    assert [d["attempts"] for d in late if d["alert_id"] == alert] == [1]
    async with engine.connect() as conn:
        log = await notifications.alert_log(conn, tenant_id=org.tenant_a, alert_id=alert)
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in log["attempts"]] == [
        (1, "retry", 503)
    ]
    assert held["id"] == again["id"]


async def test_an_ack_link_works_once_and_not_after_it_expires(
    engine: AsyncEngine, org: Org
) -> None:
    alert = str(uuid.uuid4())
    async with engine.begin() as conn:
        await notifications.add_notices(conn, [notice(org, alert, 1)])
        (n,) = [
            x
            for x in await notifications.claim_notices(conn, now=T0, lease_s=1, limit=1000)
            if x["alert_id"] == alert
        ]
        contact = await notifications.create_contact(
            conn,
            tenant_id=org.tenant_a,
            now=T0,
            name=f"link-{alert[:6]}",
            channel="webhook",
            config={"url": "http://x"},
            min_severity="LOW",
            delay_s=0,
            send_resolved=True,
            enabled=True,
        )
        delivery = {
            "id": alert,
            "notice_id": n["id"],
            "tenant_id": org.tenant_a,
            "alert_id": alert,
            "contact_id": contact["id"],
            "contact_name": "x",
            "user_id": None,
            "channel": "webhook",
            "kind": "escalation",
            "level": 1,
            "state": "pending",
            "attempts": 0,
            "next_at": T0,
            "created_at": T0,
        }
        await notifications.plan_notice(conn, notice=n, planned=[delivery])
        for token, expires in (("fresh", T0 + timedelta(hours=1)), ("old", T0)):
            await notifications.add_ack_link(
                conn,
                token_hash=f"{alert[:20]}-{token}",
                tenant_id=org.tenant_a,
                alert_id=alert,
                client_id=org.client_a1,
                user_id=None,
                delivery_id=alert,
                expires_at=expires,
                used_at=None,
            )
    async with engine.begin() as conn:
        fresh, old = f"{alert[:20]}-fresh", f"{alert[:20]}-old"
        assert await notifications.use_ack_link(conn, token_hash=fresh, now=T0)
        assert not await notifications.use_ack_link(conn, token_hash=fresh, now=T0)
        assert not await notifications.use_ack_link(conn, token_hash=old, now=T0)
