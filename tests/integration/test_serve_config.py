"""config/serve.yaml is a valid Serve config whose import path builds the NOC
application (what `serve deploy config/serve.yaml` needs)."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from ray.serve.schema import ServeDeploySchema

CONFIG = Path(__file__).resolve().parents[2] / "config" / "serve.yaml"


def test_serve_config_validates_and_its_import_path_builds_the_app() -> None:
    raw = yaml.safe_load(CONFIG.read_text())
    schema = (
        ServeDeploySchema.model_validate(raw)
        if hasattr(ServeDeploySchema, "model_validate")
        else ServeDeploySchema.parse_obj(raw)
    )
    (app,) = schema.applications
    assert app.route_prefix == "/" and app.name == "noc"
    assert schema.http_options.port == 8000
    module, _, attr = app.import_path.partition(":")
    builder = getattr(importlib.import_module(module), attr)
    built = builder(dict(app.args))
    assert type(built).__name__ == "Application"
