"""The cluster files are what Ray and KubeRay accept (issue 12 item 4):
cluster.yaml and config/cluster.aws.yaml pass Ray's launcher schema and the
preparation `ray up` runs before it touches a host; the RayService's
serveConfigV2 passes Serve's own schema and is config/serve.yaml; every file
gives the three roles the same resources the actors ask for."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ray.autoscaler._private.util import prepare_config, validate_config
from ray.serve.schema import ServeDeploySchema

from noc_actors.actors.roles import role_options
from noc_actors.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"noc_head", "noc_pool", "noc_dedicated"}


def _load(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / path).read_text())
    return loaded


def _as_ray_up_reads_it(config: dict[str, Any]) -> dict[str, Any]:
    """What `ray up` does before it touches a host (its _bootstrap_config):
    the defaults filled in (on-premise: aborts on fields it does not take),
    then the launcher's JSON schema and its own checks."""
    prepared: dict[str, Any] = prepare_config(config)
    validate_config(prepared)
    return prepared


def _node_resources(ip: str, roles: Path = ROOT / "config" / "cluster-roles") -> dict[str, int]:
    out = subprocess.run(
        [str(ROOT / "scripts" / "node-resources"), str(roles)],
        env={**os.environ, "NOC_NODE_IP": ip},
        capture_output=True,
        text=True,
        check=True,
    )
    resources: dict[str, int] = json.loads(out.stdout)
    return resources


def test_the_on_premise_cluster_passes_rays_launcher_checks() -> None:
    config = _load("cluster.yaml")
    prepared = _as_ray_up_reads_it(config)
    assert prepared["provider"]["type"] == "local"
    head = " ".join(config["head_start_ray_commands"])
    assert "--head --port=6380" in head and '"noc_head": 100' in head
    assert "noc up --address=127.0.0.1:6380" in head
    assert all(f"NOC_{r.removeprefix('noc_').upper()}_RESOURCE={r}" in head for r in ROLES)
    worker = " ".join(config["worker_start_ray_commands"])
    assert "--address=$RAY_HEAD_IP:6380" in worker and "scripts/node-resources" in worker
    assert any("pip install" in c and "~/noc" in c for c in config["setup_commands"])
    assert config["file_mounts"]["~/noc"] == "."
    # every worker has a role; between them the roles file names both
    found = {name for ip in config["provider"]["worker_ips"] for name in _node_resources(ip)}
    assert found == {"noc_pool", "noc_dedicated"}


def test_a_workers_role_comes_from_the_roles_file(tmp_path: Path) -> None:
    roles = tmp_path / "roles"
    roles.write_text("# ip role hosts\n10.1.0.2 dedicated 3\n10.1.0.3 pool\n")
    assert _node_resources("10.1.0.2", roles) == {"noc_dedicated": 3}
    assert _node_resources("10.1.0.3", roles) == {"noc_pool": 10}
    assert _node_resources("10.1.0.9 10.1.0.2", roles) == {"noc_dedicated": 3}  # any address
    assert _node_resources("10.1.0.77", roles) == {"noc_pool": 10}  # unlisted: a pool node
    roles.write_text("10.1.0.2 loud\n")
    with pytest.raises(subprocess.CalledProcessError) as err:
        _node_resources("10.1.0.2", roles)
    assert "unknown role 'loud'" in err.value.stderr


def test_the_cloud_variant_has_a_node_type_per_role() -> None:
    config = _load("config/cluster.aws.yaml")
    prepared = _as_ray_up_reads_it(config)
    types = prepared["available_node_types"]
    assert prepared["head_node_type"] == "head"
    assert {n: set(t["resources"]) for n, t in types.items()} == {
        "head": {"noc_head"},
        "pool": {"noc_pool"},
        "dedicated": {"noc_dedicated"},
    }
    assert types["pool"]["min_workers"] >= 1 and prepared["max_workers"] >= sum(
        t.get("max_workers", 0) for t in types.values()
    )
    assert "--port=6380" in " ".join(config["head_start_ray_commands"])


def test_the_rayservice_carries_the_serve_config_and_the_same_groups() -> None:
    service = _load("config/kuberay/rayservice.yaml")
    assert service["kind"] == "RayService" and service["apiVersion"] == "ray.io/v1"
    serve_config = yaml.safe_load(service["spec"]["serveConfigV2"])
    ServeDeploySchema.model_validate(serve_config)
    assert serve_config == _load("config/serve.yaml")
    cluster = service["spec"]["rayClusterConfig"]
    assert cluster["rayVersion"] == __import__("ray").__version__

    def resources(params: dict[str, str]) -> dict[str, int]:
        parsed: dict[str, int] = json.loads(json.loads(params["resources"]))
        return parsed

    groups = {"head": resources(cluster["headGroupSpec"]["rayStartParams"])}
    groups |= {g["groupName"]: resources(g["rayStartParams"]) for g in cluster["workerGroupSpecs"]}
    aws = _load("config/cluster.aws.yaml")["available_node_types"]
    assert groups == {name: t["resources"] for name, t in aws.items()}
    head_env = {
        e["name"]: e.get("value")
        for e in cluster["headGroupSpec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert {head_env[f"NOC_{r.removeprefix('noc_').upper()}_RESOURCE"] for r in ROLES} == ROLES


def test_the_api_replicas_autoscale_from_the_serve_config() -> None:
    schema = ServeDeploySchema.model_validate(_load("config/serve.yaml"))
    (app,) = schema.applications
    (deployment,) = app.deployments
    assert deployment.name == "NocApi"
    scaling = deployment.autoscaling_config
    assert isinstance(scaling, dict)
    assert 1 <= scaling["min_replicas"] < scaling["max_replicas"]
    assert "replicas" not in app.args  # a fixed count would override the autoscaling


def test_each_role_asks_for_its_resource_only_when_one_is_named() -> None:
    alone = Settings()
    assert role_options(alone, "head") == {} and role_options(alone, "dedicated") == {}
    assert role_options(alone, "pool") == {"scheduling_strategy": "SPREAD"}
    cluster = Settings(
        head_resource="noc_head", pool_resource="noc_pool", dedicated_resource="noc_dedicated"
    )
    assert role_options(cluster, "head") == {"resources": {"noc_head": 1}}
    assert role_options(cluster, "pool") == {
        "resources": {"noc_pool": 1},
        "scheduling_strategy": "SPREAD",
    }
    assert role_options(cluster, "dedicated") == {"resources": {"noc_dedicated": 1}}
