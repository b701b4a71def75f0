"""Entry point of the ``noc`` command."""

from __future__ import annotations

import typer

from noc_actors.cli.admin import client_app, db_app, site_app, tenant_app, token_app, user_app
from noc_actors.cli.contacts import contact_app
from noc_actors.cli.demo import demo
from noc_actors.cli.inhibit import inhibit_app
from noc_actors.cli.oncall import oncall
from noc_actors.cli.system import down, rebalance, status, up

app = typer.Typer(
    name="noc",
    help="NOC: real-time operations center on Ray. Settings come from NOC_* environment "
    "variables (NOC_DATABASE_URL, NOC_REDIS_URL, ...).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(client_app, name="client")
app.add_typer(site_app, name="site")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(contact_app, name="contact")
app.add_typer(inhibit_app, name="inhibit")
app.command("oncall")(oncall)
app.command("up")(up)
app.command("down")(down)
app.command("status")(status)
app.command("rebalance")(rebalance)
app.command("demo")(demo)
