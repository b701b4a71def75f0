from noc_actors.cli.main import app

app(prog_name="noc")
