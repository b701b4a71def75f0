"""The dashboard WebSocket over real sockets, on two Serve replicas: live
delivery from either replica within a second, scope and PII filtering of every
push, exact resume after a disconnect (or resync when it is too late), the
handshake (header or auth message, origin allow-list), client messages
(subscribe, acknowledge through the aggregator with its audit row, metrics,
heartbeat), errors with correlation ids, and the per-user rate limit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from noc_actors.actors.client import NocClient
from tests.e2e.conftest import PII_VALUES, Api, pii_metadata
from tests.e2e.ws_client import (
    Dash,
    Frame,
    alert_item,
    is_alert,
    post_alerts,
    rest,
    run_id,
    two_replicas,
    ws_url,
)

REPLICAS = 2
SETTINGS = {"ws_auth_timeout_s": 1.0, "hub_ring_size": 200}


@pytest_asyncio.fixture(autouse=True)
async def close_sockets() -> AsyncIterator[None]:
    yield
    await Dash.close_all()


async def caught_up(dash: Dash, seq: int) -> None:
    """Wait until the socket has passed every event up to ``seq`` (delivered
    or filtered out): ``heartbeat_ack.seq`` is its position in the stream."""
    for _ in range(50):
        if (await dash.request({"type": "heartbeat"}))["seq"] >= seq:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"socket never reached seq {seq}")


async def server_close(ws: ClientConnection) -> tuple[int | None, str]:
    """Wait for the server to close the socket: its code and reason."""
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code, ws.close_reason or ""


async def audit_rows(api: Api, action: str, correlation_id: str) -> list[tuple[str, str, str]]:
    rows = await asyncio.to_thread(
        api.sql,
        "SELECT actor_id, entity_id, source_ip FROM audit_log "
        "WHERE action = :a AND correlation_id = :c",
        a=action,
        c=correlation_id,
    )
    return [(r[0], r[1], r[2]) for r in rows]


# --- delivery -------------------------------------------------------------------------


async def test_two_replicas_both_deliver_a_posted_alert_within_one_second(api: Api) -> None:
    a, b = await two_replicas(api, "admin")
    for attempt in range(3):
        run = run_id()
        posted = await post_alerts(api, [alert_item(api, run, attempt)])
        latencies = []
        for d in (a, b):
            arrived, frame = await d.arrival(is_alert(run), 5)
            latencies.append(arrived - posted.started)
            assert frame["seq"] > d.connected["seq"] and frame["alert"]["id"] == posted.ids[0]
        print(f"\nPOST start -> socket, replica A / B: {latencies[0]:.3f} / {latencies[1]:.3f} s")
        assert max(latencies) < 1.0


async def test_each_replica_holds_one_hub_subscription_however_many_sockets(api: Api) -> None:
    import ray

    from noc_actors.actors import names

    sockets = [await Dash.open(api, "viewer") for _ in range(6)]
    replicas = {d.connected["replica"] for d in sockets}
    hub = ray.get_actor(names.BROADCAST_HUB, namespace=api.settings.ray_namespace)
    subscribers = list((await hub.status.remote())["subscribers"])
    for replica in replicas:
        assert len([s for s in subscribers if s.startswith(f"replica-{replica}-")]) == 1
    assert len([s for s in subscribers if s.startswith("replica-")]) <= REPLICAS


async def test_connected_says_who_where_and_from_which_seq(api: Api) -> None:
    d = await Dash.open(api, "guard")
    c = d.connected
    assert c["user_id"] == api.ids["guard"] and c["tenant_id"] == api.ids["tenant_a"]
    assert c["clients"] == [api.ids["a1"]] and c["pii"] is False
    assert isinstance(c["seq"], int) and c["replica"]
    assert "noc:ack_alerts" in c["capabilities"] and "noc:export" not in c["capabilities"]
    admin = await Dash.open(api, "admin")
    assert admin.connected["pii"] is True
    assert sorted(admin.connected["clients"]) == sorted([api.ids["a1"], api.ids["a2"]])


async def test_a_site_scoped_user_never_receives_another_sites_event(api: Api) -> None:
    guard, admin = await Dash.open(api, "guard"), await Dash.open(api, "admin")
    run = run_id()
    sites = ["a1-s", "a2-x", "a1-n", "a1-s", "a2-x", "a1-n"]
    posted = await post_alerts(api, [alert_item(api, run, i, s) for i, s in enumerate(sites)])
    other_site = posted.ids[0]
    assert (
        await rest(api, "admin", "POST", f"/api/noc/alerts/{posted.ids[1]}/acknowledge")
    ).is_success
    r = await rest(
        api, "admin", "POST", "/api/noc/incidents", json={"alert_ids": [other_site], "title": run}
    )
    assert r.status_code == 201, r.text
    await NocClient(api.settings.ray_namespace).take_snapshot(api.ids["tenant_a"], api.ids["a1"])
    incident = await admin.next(lambda f: f["type"] == "incident_new", 5)
    await admin.next(lambda f: f["type"] == "metrics_update", 5)
    await caught_up(guard, incident["seq"])
    pushed = [f for f in guard.of("alert_new", "alert_updated", "incident_new", "metrics_update")]
    assert pushed and all(f["site_id"] == api.ids["a1-n"] for f in pushed)
    mine = [f["alert"]["message"] for f in guard.of("alert_new") if run in f["alert"]["message"]]
    assert mine == [f"{run} #2", f"{run} #5"]
    assert len([f for f in admin.of("alert_new") if run in f["alert"]["message"]]) == 6


async def test_users_without_view_pii_never_receive_pii_over_the_socket(api: Api) -> None:
    operator, admin = await Dash.open(api, "operator"), await Dash.open(api, "admin")
    run = run_id()
    items = [
        alert_item(api, run, i, s, metadata=pii_metadata()) for i, s in enumerate(["a1-n", "a2-x"])
    ]
    posted = await post_alerts(api, items)
    await rest(api, "admin", "POST", f"/api/noc/alerts/{posted.ids[0]}/acknowledge")
    last = await admin.next(
        lambda f: f["type"] == "alert_updated" and f["alert"]["id"] == posted.ids[0]
    )
    await caught_up(operator, last["seq"])
    ack = await operator.request({"type": "acknowledge_alert", "alert_id": posted.ids[1]})
    assert ack["type"] == "alert_acknowledged"
    await operator.request({"type": "request_metrics"})
    seen = "\n".join(operator.raw)
    assert run in seen and "j***e@example.com" in seen
    assert [v for v in PII_VALUES if v in seen] == []
    shown = "\n".join(admin.raw)
    assert all(json.dumps(v)[1:-1] in shown for v in PII_VALUES)


# --- resume ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["query", "auth_message"])
async def test_a_client_that_missed_50_events_gets_exactly_those_in_order(
    api: Api, how: str
) -> None:
    d = await Dash.open(api, "admin")
    run = run_id()
    await post_alerts(api, [alert_item(api, run, -1)])
    last = (await d.next(is_alert(run)))["seq"]
    await d.close()
    missed = run_id()
    for batch in range(5):
        await post_alerts(api, [alert_item(api, missed, batch * 10 + i) for i in range(10)])
    # Reconnect while more events are being published: replay and live stream overlap.
    live = run_id()
    publishing = asyncio.get_running_loop().create_task(
        post_alerts(api, [alert_item(api, live, i) for i in range(5)])
    )
    back = await Dash.open(api, "admin", resume_from=last, by_message=how == "auth_message")
    await publishing
    await back.next(
        lambda f: f["type"] == "alert_new" and f["alert"]["message"] == f"{live} #4", 10
    )
    events = back.of("alert_new", "alert_updated", "metrics_update", "backpressure", "incident_new")
    seqs = [f["seq"] for f in events]
    assert seqs == sorted(set(seqs)) and seqs[0] > last
    got = [f["alert"]["message"] for f in events if f["type"] == "alert_new"]
    assert [m for m in got if m.startswith(missed)] == [f"{missed} #{i}" for i in range(50)]
    assert [m for m in got if m.startswith(live)] == [f"{live} #{i}" for i in range(5)]
    assert back.of("resync") == []


async def test_a_batch_socket_gets_a_burst_in_fewer_frames_exactly_once_in_order(
    api: Api,
) -> None:
    """``?batch=1``: what piles up while the socket writes leaves as one
    ``batch`` frame; the events are the same as a plain socket's."""
    headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
    async with connect(ws_url(api) + "?batch=1", additional_headers=headers) as ws:
        assert json.loads(await ws.recv())["type"] == "connected"
        run = run_id()
        await post_alerts(api, [alert_item(api, run, i) for i in range(150)])
        frames, got = 0, []
        while len(got) < 150:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            frames += 1
            for m in frame["messages"] if frame["type"] == "batch" else [frame]:
                if m["type"] == "alert_new" and m["alert"]["message"].startswith(run):
                    got.append((m["seq"], m["alert"]["message"]))
    assert [m for _, m in got] == [f"{run} #{i}" for i in range(150)]
    assert [s for s, _ in got] == sorted({s for s, _ in got})
    assert frames < 150


async def test_resume_from_before_the_ring_answers_resync_then_streams_live(api: Api) -> None:
    d = await Dash.open(api, "admin")
    last = d.connected["seq"]
    await d.close()
    run = run_id()
    for batch in range(5):  # 250 events > the ring's 200 (in batches the pumps keep up with)
        await post_alerts(api, [alert_item(api, run, batch * 50 + i) for i in range(50)])
    back = await Dash.open(api, "admin", resume_from=last)
    assert (await back.next(lambda f: f["type"] == "resync"))["reason"] == "resume_too_old"
    live = run_id()
    await post_alerts(api, [alert_item(api, live, 0)])
    await back.next(is_alert(live))
    assert [f for f in back.of("alert_new") if run in f["alert"]["message"]] == []


async def test_a_replica_that_missed_hub_events_tells_its_sockets_to_resync(api: Api) -> None:
    d = await Dash.open(api, "operator")
    run = run_id()  # one publish of 250 events overflows each replica's hub queue (200)
    await post_alerts(api, [alert_item(api, run, i) for i in range(250)])
    assert (await d.next(lambda f: f["type"] == "resync", 10))["reason"] == "overflow"
    live = run_id()
    await post_alerts(api, [alert_item(api, live, 0)])
    await d.next(is_alert(live))


# --- handshake --------------------------------------------------------------------


async def test_a_socket_that_never_authenticates_is_closed_with_4408(api: Api) -> None:
    started = time.monotonic()
    async with connect(ws_url(api)) as ws:
        code, reason = await server_close(ws)
        assert code == 4408 and "auth" in reason
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ({"type": "heartbeat"}, 4401),
        ({"type": "auth", "token": "noc_not-a-real-token-at-all"}, 4401),
        ({"type": "auth"}, 4400),
    ],
)
async def test_a_bad_first_message_is_closed_with_a_reason(
    api: Api, first: Frame, expected: int
) -> None:
    async with connect(ws_url(api)) as ws:
        await ws.send(json.dumps(first))
        code, reason = await server_close(ws)
        assert (code, bool(reason)) == (expected, True)


async def test_a_bad_header_token_is_closed_with_4401(api: Api) -> None:
    headers = {"Authorization": "Bearer noc_not-a-real-token-at-all"}
    async with connect(ws_url(api), additional_headers=headers) as ws:
        code, reason = await server_close(ws)
        assert code == 4401 and "token" in reason


async def test_the_auth_message_works_and_its_id_is_echoed(api: Api) -> None:
    d = await Dash.open(api, "operator", by_message=True)
    assert d.connected["id"] == "auth-1" and d.connected["user_id"] == api.ids["operator"]


async def test_a_token_without_noc_view_is_refused_and_audited(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.tokens['key']}", "X-Correlation-ID": run_id()}
    async with connect(ws_url(api), additional_headers=headers) as ws:
        code, reason = await server_close(ws)
        assert code == 4403
    rows = await audit_rows(api, "UNAUTHORIZED_ACCESS", headers["X-Correlation-ID"])
    assert rows == [(f"key:{api.ids['key']}", "/ws/noc/dashboard", "127.0.0.1")]


async def test_browser_origins_outside_the_allow_list_are_refused(api: Api) -> None:
    with pytest.raises(InvalidStatus) as err:
        await Dash.open(api, "admin", origin="https://evil.example")
    assert err.value.response.status_code == 403
    port = api.base_url.rsplit(":", 1)[1]
    for origin in ("http://localhost:5173", f"http://127.0.0.1:{port}"):
        assert (await Dash.open(api, "admin", origin=origin)).connected["type"] == "connected"


# --- client messages ------------------------------------------------------------------


async def test_heartbeat_and_invalid_messages_echo_the_id(api: Api) -> None:
    d = await Dash.open(api, "viewer")
    ack = await d.request({"type": "heartbeat", "id": 7})
    assert ack["type"] == "heartbeat_ack" and ack["id"] == 7 and ack["seq"] >= d.connected["seq"]
    bad = await d.request({"type": "heartbeat", "id": "x1", "bogus": True})
    assert bad["type"] == "error" and bad["code"] == "invalid_message" and "bogus" in bad["message"]
    assert bad["correlation_id"]
    await d.ws.send("not json")
    assert (await d.next(lambda f: f["type"] == "error" and "id" not in f))[
        "code"
    ] == "invalid_message"


async def test_subscriptions_within_scope_and_audited_refusals_outside(api: Api) -> None:
    op = await Dash.open(api, "operator")
    r = await op.request({"type": "unsubscribe_client", "client_id": api.ids["a2"]})
    assert r["type"] == "unsubscribed" and r["clients"] == [api.ids["a1"]]
    run = run_id()
    await post_alerts(api, [alert_item(api, run, 0, "a2-x"), alert_item(api, run, 1, "a1-n")])
    await op.next(lambda f: f["type"] == "alert_new" and f["alert"]["message"] == f"{run} #1")
    assert [f for f in op.of("alert_new") if f["alert"]["message"] == f"{run} #0"] == []
    r = await op.request({"type": "subscribe_client", "client_id": api.ids["a2"]})
    assert r["type"] == "subscribed" and sorted(r["clients"]) == sorted(
        [api.ids["a1"], api.ids["a2"]]
    )
    await post_alerts(api, [alert_item(api, run, 2, "a2-x")])
    await op.next(lambda f: f["type"] == "alert_new" and f["alert"]["message"] == f"{run} #2")

    guard = await Dash.open(api, "guard")
    denied = await guard.request({"type": "subscribe_client", "client_id": api.ids["a2"]})
    assert denied["type"] == "error" and denied["code"] == "forbidden"
    assert await audit_rows(api, "UNAUTHORIZED_ACCESS", denied["correlation_id"]) == [
        (api.ids["guard"], api.ids["a2"], "127.0.0.1")
    ]
    for unknown in (api.ids["b1"], "no-such-client"):
        r = await guard.request({"type": "subscribe_client", "client_id": unknown})
        assert r["code"] == "not_found"


async def test_acknowledge_alert_goes_through_the_aggregator_and_is_audited(api: Api) -> None:
    d = await Dash.open(api, "operator")
    run = run_id()
    posted = await post_alerts(api, [alert_item(api, run, 0, "a2-x")])
    alert_id = posted.ids[0]
    r = await d.request({"type": "acknowledge_alert", "alert_id": alert_id, "notes": "on it"})
    assert r["type"] == "alert_acknowledged" and r["alert"]["status"] == "ACKNOWLEDGED"
    pushed = await d.next(lambda f: f["type"] == "alert_updated" and f["alert"]["id"] == alert_id)
    assert pushed["action"] == "acknowledged"
    detail = await rest(api, "admin", "GET", f"/api/noc/alerts/{alert_id}")
    assert detail.json()["status"] == "ACKNOWLEDGED"
    assert detail.json()["acknowledged_by"] == api.ids["operator"]
    rows = await audit_rows(api, "ACKNOWLEDGE", r["correlation_id"])
    assert rows == [(api.ids["operator"], alert_id, "127.0.0.1")]
    again = await d.request({"type": "acknowledge_alert", "alert_id": alert_id})
    assert again["code"] == "invalid_transition" and again["request"] == "acknowledge_alert"
    missing = await d.request({"type": "acknowledge_alert", "alert_id": "no-such-alert"})
    assert missing["code"] == "not_found"


async def test_acknowledge_outside_scope_or_without_capability_is_refused_and_audited(
    api: Api,
) -> None:
    guard, viewer = await Dash.open(api, "guard"), await Dash.open(api, "viewer")
    other_site = api.alerts["a1-s"][0]
    r = await guard.request({"type": "acknowledge_alert", "alert_id": other_site})
    assert r["code"] == "forbidden"
    assert await audit_rows(api, "UNAUTHORIZED_ACCESS", r["correlation_id"]) == [
        (api.ids["guard"], other_site, "127.0.0.1")
    ]
    r = await viewer.request({"type": "acknowledge_alert", "alert_id": api.alerts["a2-x"][0]})
    assert r["code"] == "forbidden" and "noc:ack_alerts" in r["message"]
    assert len(await audit_rows(api, "UNAUTHORIZED_ACCESS", r["correlation_id"])) == 1
    detail = await rest(api, "admin", "GET", f"/api/noc/alerts/{other_site}")
    assert detail.json()["status"] == "NEW"


async def test_request_metrics_answers_the_latest_snapshots_of_visible_clients(api: Api) -> None:
    noc = NocClient(api.settings.ray_namespace)
    await noc.take_snapshot(api.ids["tenant_a"], api.ids["a2"])
    admin, guard = await Dash.open(api, "admin"), await Dash.open(api, "guard")
    r = await admin.request({"type": "request_metrics"})
    assert r["type"] == "metrics_update"
    assert api.ids["a2"] in {i["client_id"] for i in r["items"]}
    assert all("metrics" in i and i["window_end"] for i in r["items"])
    one = await admin.request({"type": "request_metrics", "client_id": api.ids["a2"]})
    assert [i["client_id"] for i in one["items"]] == [api.ids["a2"]]
    assert (await guard.request({"type": "request_metrics"}))["items"] == []
    refused = await guard.request({"type": "request_metrics", "client_id": api.ids["a1"]})
    assert refused["code"] == "forbidden"


async def test_more_than_100_messages_a_minute_are_rate_limited(api: Api) -> None:
    if time.time() % 60 > 50:  # keep the burst inside one fixed window
        await asyncio.sleep(61 - time.time() % 60)
    d = await Dash.open(api, "admin_b")
    for i in range(110):
        await d.send({"type": "heartbeat", "id": i})
    await d.next(lambda f: f.get("id") == 109, 10)
    replies = [f for f in d.frames_of_ids(range(110))]
    assert [f["type"] for f in replies].count("heartbeat_ack") == 100
    limited = [f for f in replies if f["type"] == "error"]
    assert len(limited) == 10 and {f["code"] for f in limited} == {"rate_limited"}
    assert 0 < limited[0]["retry_after_s"] <= 60
