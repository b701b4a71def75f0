"""The `noc` admin CLI, run as a real process against SQLite and PostgreSQL:
the quick-start sequence works, tokens are shown once and stored hashed, and
bad input prints one clear error with a non-zero exit code."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from noc_actors.store.db import make_engine

NOC = [sys.executable, "-m", "noc_actors.cli"]


def noc(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOC_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([*NOC, *args], env=env, capture_output=True, text=True, timeout=120)


def ok(url: str, *args: str) -> str:
    proc = noc(url, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def field(output: str, name: str) -> str:
    match = re.search(rf"^{name}\s+(\S+)", output, re.M)
    assert match, output
    return match.group(1)


async def scalar(url: str, sql: str, **params: object) -> object:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar_one()
    finally:
        await engine.dispose()


def test_quick_start_sequence_creates_tenant_user_and_a_working_token(db_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    ok(db_url, "db", "upgrade")
    ok(db_url, "db", "upgrade")  # a second upgrade is a no-op
    ok(db_url, "tenant", "create", f"acme-{tag}")
    ok(db_url, "client", "create", "Harbour Mall", "--tenant", f"acme-{tag}", "--id", f"mall-{tag}")
    ok(
        db_url,
        "site",
        "create",
        "North gate",
        "--tenant",
        f"acme-{tag}",
        "--client",
        f"mall-{tag}",
        "--id",
        f"north-{tag}",
        "--lat",
        "51.5",
        "--lon",
        "-0.1",
        "--radius-m",
        "150",
    )
    out = ok(
        db_url,
        "user",
        "create",
        "--tenant",
        f"acme-{tag}",
        "--name",
        "Jo Operator",
        "--email",
        f"jo-{tag}@acme.test",
        "--cap",
        "noc:view,noc:ack_alerts",
        "--cap",
        "noc:export=false",
        "--client",
        f"mall-{tag}",
        "--site",
        f"north-{tag}",
    )
    assert re.search(r"^capabilities\s+noc:ack_alerts, noc:view$", out, re.M), out
    issued = ok(
        db_url, "token", "issue", "--tenant", f"acme-{tag}", "--user", f"jo-{tag}@acme.test"
    )
    token = issued.strip().splitlines()[-1]
    assert token.startswith("noc_") and len(token) > 30

    stored = asyncio.run(
        scalar(db_url, "SELECT capabilities FROM users WHERE email = :e", e=f"jo-{tag}@acme.test")
    )
    caps = stored if isinstance(stored, dict) else __import__("json").loads(str(stored))
    assert caps == {"noc:view": True, "noc:ack_alerts": True, "noc:export": False}

    # Only the hash is stored: the plaintext appears nowhere in the table.
    hits = asyncio.run(
        scalar(
            db_url, "SELECT count(*) FROM api_tokens WHERE token_hash = :t OR prefix = :t", t=token
        )
    )
    assert hits == 0
    from noc_actors.store.repos.tokens import hash_token

    assert (
        asyncio.run(
            scalar(
                db_url, "SELECT count(*) FROM api_tokens WHERE token_hash = :h", h=hash_token(token)
            )
        )
        == 1
    )


def test_revoke_makes_the_token_unresolvable_and_is_audited(db_url: str) -> None:
    from datetime import UTC, datetime

    from noc_actors.store.repos.tokens import resolve_token

    tag = uuid.uuid4().hex[:8]
    ok(db_url, "db", "upgrade")
    ok(db_url, "tenant", "create", f"t-{tag}")
    ok(db_url, "client", "create", "Bank", "--tenant", f"t-{tag}", "--id", f"bank-{tag}")
    issued = ok(
        db_url,
        "token",
        "issue",
        "--tenant",
        f"t-{tag}",
        "--integration",
        "prometheus",
        "--client",
        f"bank-{tag}",
    )
    token, token_id = issued.strip().splitlines()[-1], field(issued, "token_id")

    async def resolves() -> bool:
        engine = make_engine(db_url)
        try:
            async with engine.connect() as conn:
                return await resolve_token(conn, token=token, now=datetime.now(UTC)) is not None
        finally:
            await engine.dispose()

    assert asyncio.run(resolves())
    ok(db_url, "token", "revoke", "--tenant", f"t-{tag}", token_id)
    assert not asyncio.run(resolves())
    again = noc(db_url, "token", "revoke", "--tenant", f"t-{tag}", token_id)
    assert again.returncode == 1 and "already revoked" in again.stderr
    actions = asyncio.run(
        scalar(
            db_url,
            "SELECT count(*) FROM audit_log WHERE entity_id = :i AND action IN "
            "('TOKEN_ISSUED', 'TOKEN_REVOKED')",
            i=token_id,
        )
    )
    assert actions == 2


@pytest.fixture(scope="module")
def cli_tenant(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """One SQLite database with one tenant, shared by the bad-input cases."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('cli')}/noc.db"
    tag = uuid.uuid4().hex[:6]
    ok(url, "db", "upgrade")
    ok(url, "tenant", "create", tag)
    return url, tag


def test_a_client_can_be_disabled_and_enabled_again(cli_tenant: tuple[str, str]) -> None:
    url, tag = cli_tenant
    ok(url, "client", "create", "Old Account", "--tenant", tag, "--id", f"old-{tag}")
    assert field(ok(url, "client", "disable", f"old-{tag}", "--tenant", tag), "enabled") == "False"
    assert f"old-{tag}  Old Account  (disabled)" in ok(url, "client", "list", "--tenant", tag)
    ok(url, "client", "enable", f"old-{tag}", "--tenant", tag)
    assert f"old-{tag}  Old Account  (enabled)" in ok(url, "client", "list", "--tenant", tag)
    proc = noc(url, "client", "disable", "ghost", "--tenant", tag)
    assert proc.returncode == 1 and "unknown client 'ghost'" in proc.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            [
                "user",
                "create",
                "--tenant",
                "{t}",
                "--name",
                "X",
                "--email",
                "x@y.z",
                "--cap",
                "noc:fly",
            ],
            2,
            "unknown capability 'noc:fly'",
        ),
        (
            ["user", "create", "--tenant", "nope-{t}", "--name", "X", "--email", "x@y.z"],
            1,
            "unknown tenant 'nope-{t}'",
        ),
        (
            ["user", "create", "--tenant", "{t}", "--name", "X", "--email", "not-an-email"],
            2,
            "--email",
        ),
        (
            [
                "user",
                "create",
                "--tenant",
                "{t}",
                "--name",
                "X",
                "--email",
                "x@y.z",
                "--client",
                "ghost",
            ],
            2,
            "unknown client 'ghost'",
        ),
        (["token", "issue", "--tenant", "{t}"], 2, "exactly one of --user"),
        (["token", "issue", "--tenant", "{t}", "--user", "ghost@y.z"], 2, "unknown user"),
        (["tenant", "create", "{t}"], 1, "already exists"),
        (
            ["site", "create", "S", "--tenant", "{t}", "--client", "ghost"],
            1,
            "unknown client 'ghost'",
        ),
    ],
)
def test_bad_input_prints_one_clear_error_and_exits_non_zero(
    cli_tenant: tuple[str, str], args: list[str], code: int, message: str
) -> None:
    url, tag = cli_tenant
    proc = noc(url, *[a.replace("{t}", tag) for a in args])
    assert proc.returncode == code, proc.stderr
    assert message.replace("{t}", tag) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_default_database_is_an_sqlite_file_in_the_user_data_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NOC_DATABASE_URL"}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.run(
        [*NOC, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data" / "noc" / "noc.db").exists()


def test_oncall_prints_who_is_on_call_and_the_shifts_ahead(cli_tenant: tuple[str, str]) -> None:
    """A schedule stored as the API stores it; ``noc oncall`` reads it."""
    from datetime import UTC, datetime, timedelta

    from noc_actors.domain.oncall import layers_json, parse_layers
    from noc_actors.store.repos import oncall, tenants, users

    url, tag = cli_tenant
    ok(url, "client", "create", "Rota Mall", "--tenant", tag, "--id", f"rota-{tag}")
    ok(url, "user", "create", "--tenant", tag, "--name", "Ann", "--email", f"ann-{tag}@x.io")
    ok(url, "user", "create", "--tenant", tag, "--name", "Bob", "--email", f"bob-{tag}@x.io")
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)

    async def seed() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                tid = (await tenants.get_tenant_by_name(conn, name=tag))["id"]  # type: ignore[index]
                people = {u["email"]: u["id"] for u in await users.list_users(conn, tenant_id=tid)}
                pair = [people[f"ann-{tag}@x.io"], people[f"bob-{tag}@x.io"]]
                raw = [{"name": "days", "start": start.isoformat(), "shift_hours": 12,
                        "users": pair}]  # fmt: skip
                await oncall.create_schedule(
                    conn, tenant_id=tid, now=datetime.now(UTC), name="mall days",
                    time_zone="UTC", client_id=f"rota-{tag}", layers=layers_json(parse_layers(raw)),
                )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(seed())
    out = ok(url, "oncall", "--tenant", tag, "--client", f"rota-{tag}", "--days", "1")
    assert f"mall days (rota-{tag}, UTC): ann-{tag}@x.io until" in out, out
    assert out.count(f"bob-{tag}@x.io") == 1 and out.count("[days]") == 3, out  # ann, bob, ann
    proc = noc(url, "oncall", "--tenant", tag, "--site", "x")
    assert proc.returncode == 2 and "--site needs --client" in proc.stderr
    proc = noc(url, "oncall", "--tenant", tag, "--at", "tomorrow")
    assert proc.returncode == 2 and "--at" in proc.stderr


def test_a_contact_point_for_one_severity_band(cli_tenant: tuple[str, str]) -> None:
    url, tag = cli_tenant
    base = ["contact", "add", f"late-{tag}", "--tenant", tag, "-c", "webhook"]
    hook = ["--set", "url=https://ops.example.com/noc"]
    proc = noc(url, *base, *hook, "--min-severity", "HIGH", "--max-severity", "MEDIUM")
    assert proc.returncode == 2 and "--max-severity must not be below" in proc.stderr
    ok(url, *base, *hook, "--min-severity", "HIGH", "--max-severity", "HIGH", "--delay", "300")
    assert f"late-{tag}  webhook  tenant  HIGH  delay 300s" in ok(url, "contact", "list", "-t", tag)


def test_inhibit_rules_from_the_command_line(cli_tenant: tuple[str, str]) -> None:
    url, tag = cli_tenant
    nowhere = ["--address", "127.0.0.1:1"]  # no NOC runs there: nothing to reload
    listed = ok(url, "inhibit", "list", "-t", tag)
    assert "default-site-outage  [on, default]  Site outage hides its devices" in listed
    assert 'target: alert_type="DEVICE_OFFLINE"' in listed
    added = ok(
        url, "inhibit", "add", "Fire alarm hides doors", "-t", tag, *nowhere,
        "-s", 'alert_type="FIRE_ALARM"', "--target", 'alert_type=~"DOOR_.*"', "-e", "site_id",
    )  # fmt: skip
    assert "the NOC is not running here" in added
    rule_id = added.split()[0]
    proc = noc(url, "inhibit", "add", "x", "-t", tag, "-s", 'a=~"("', "--target", "b=c")
    assert proc.returncode == 2 and "--source: error parsing regexp" in proc.stderr
    ok(url, "inhibit", "disable", "default-site-outage", "-t", tag, *nowhere)
    listed = ok(url, "inhibit", "list", "-t", tag)
    assert "default-site-outage  [off, default, customised]" in listed
    assert f"{rule_id}  [on]  Fire alarm hides doors" in listed
    assert "shipped rule applies again" in ok(
        url, "inhibit", "delete", "default-site-outage", "-t", tag, *nowhere
    )
    proc = noc(url, "inhibit", "delete", "default-site-outage", "-t", tag, *nowhere)
    assert proc.returncode == 1 and "is a shipped rule" in proc.stderr
    ok(url, "inhibit", "delete", rule_id, "-t", tag, *nowhere)
    assert ok(url, "inhibit", "list", "-t", tag).count("[on") == 1
    changes = asyncio.run(
        scalar(
            url,
            "SELECT count(*) FROM audit_log WHERE action = 'CONFIG_CHANGE' "
            "AND entity_type = 'inhibit_rule' AND actor_id = 'cli'",
        )
    )
    assert changes == 4
