"""deploy/kubernetes/ against Kubernetes' own schemas (kubernetes-validate, strict: an unknown
field is an error, as `kubectl apply --validate=strict` makes it), the CloudNativePG resources
against the operator's CRD schemas, the NATS chart's values against the chart's defaults, and
what the deployment relies on: probes, replicas, budgets, security, synchronous replication."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.files import DEPLOY, load_yaml

KUBERNETES = DEPLOY / "kubernetes"
SCHEMAS = Path(__file__).parent / "schemas"
VERSION = "1.33"
"""The oldest Kubernetes still supported upstream when this was written: what passes it passes
the later ones' schemas too (tests below check 1.37 as well)."""
CRDS = {"Cluster": "cnpg-clusters.json", "ScheduledBackup": "cnpg-scheduledbackups.json"}
NOT_MANIFESTS = {"kustomization.yaml", "nats-values.yaml"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name not in NOT_MANIFESTS:
            found += [
                (f"{path.name}:{d['kind']}/{d['metadata']['name']}", d) for d in documents(path)
            ]
    return found


ALL = manifests()
BY_KIND: dict[str, list[dict[str, Any]]] = {}
for _, manifest in ALL:
    BY_KIND.setdefault(manifest["kind"], []).append(manifest)


def strict(schema: Any) -> Any:
    """The CRD's schema as the API server reads it with strict field validation: an object that
    lists its properties takes no other."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    return schema


def crd_errors(manifest: dict[str, Any]) -> list[str]:
    crd = json.loads((SCHEMAS / CRDS[manifest["kind"]]).read_text(encoding="utf-8"))
    assert manifest["apiVersion"] == f"{crd['group']}/{crd['version']}"
    schema = strict(crd["openAPIV3Schema"])
    # metadata is the API server's ObjectMeta, which the CRD leaves open.
    schema["properties"]["metadata"] = {"type": "object"}
    validator = jsonschema.Draft7Validator(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(manifest)]


def kube_errors(manifest: dict[str, Any], version: str = VERSION) -> str | None:
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return str(error)
    return None


# ---------------------------------------------------------------------------- the schemas
@pytest.mark.parametrize(("name", "manifest"), ALL, ids=[n for n, _ in ALL])
def test_every_manifest_is_valid_under_its_schema(name: str, manifest: dict[str, Any]):
    if manifest["kind"] in CRDS:
        assert crd_errors(manifest) == []
    else:
        assert kube_errors(manifest) is None
        assert kube_errors(manifest, "1.37") is None


def test_kubernetes_schemas_refuse_an_unknown_field_and_a_wrong_type():
    api = copy.deepcopy(BY_KIND["Deployment"][0])
    api["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    assert kube_errors(api) is not None
    api = copy.deepcopy(BY_KIND["Deployment"][0])
    api["spec"]["replicas"] = "two"
    assert kube_errors(api) is not None
    budget = copy.deepcopy(BY_KIND["PodDisruptionBudget"][0])
    budget["spec"]["minAvailabe"] = 1
    assert kube_errors(budget) is not None


def test_the_crd_schema_refuses_what_cloudnative_pg_would():
    cluster = copy.deepcopy(BY_KIND["Cluster"][0])
    cluster["spec"]["postgresql"]["synchronous"]["method"] = "all"
    assert crd_errors(cluster)
    cluster = copy.deepcopy(BY_KIND["Cluster"][0])
    cluster["spec"]["postgresql"]["synchronous"]["durability"] = "required"
    assert crd_errors(cluster)
    cluster = copy.deepcopy(BY_KIND["Cluster"][0])
    del cluster["spec"]["postgresql"]["synchronous"]["number"]
    assert crd_errors(cluster)


def test_the_kustomization_lists_every_manifest_but_the_secret_templates():
    kustomization = load_yaml(KUBERNETES / "kustomization.yaml")
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - NOT_MANIFESTS - {"secrets.example.yaml"}
    assert listed == on_disk
    assert kustomization["namespace"] == "ssj"
    assert [image["name"] for image in kustomization["images"]] == ["ssj"]
    for _, manifest in ALL:
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == "ssj"


# ---------------------------------------------------------------------------- PostgreSQL
def test_postgres_is_three_instances_that_never_lose_a_committed_event():
    (cluster,) = BY_KIND["Cluster"]
    spec = cluster["spec"]
    assert spec["instances"] == 3
    assert spec["postgresql"]["synchronous"] == {
        "method": "any",
        "number": 1,
        "dataDurability": "required",
    }
    assert int(re.search(r":(\d+)", spec["imageName"])[1]) >= 17  # MAINTAIN, which ssj needs
    archive = spec["backup"]["barmanObjectStore"]
    assert archive["destinationPath"].startswith("s3://") and "wal" in archive
    assert spec["bootstrap"]["initdb"]["owner"] == "ssj_owner"
    assert [r["name"] for r in spec["managed"]["roles"]] == ["ssj_service"]
    (scheduled,) = BY_KIND["ScheduledBackup"]
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]


# ---------------------------------------------------------------------------- ssj's pods
def pod(name: str) -> dict[str, Any]:
    for deployment in BY_KIND["Deployment"]:
        if deployment["metadata"]["name"] == name:
            return deployment
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("name", "argv", "port"),
    [
        ("ssj-api", ["ssj", "serve", "--host", "0.0.0.0", "--port", "8000"], 8000),
        ("ssj-worker", ["ssj", "worker"], 8081),
    ],
)
def test_api_and_worker_run_twice_ready_on_readyz_alive_on_healthz(
    name: str, argv: list[str], port: int
):
    deployment = pod(name)
    assert deployment["spec"]["replicas"] == 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == argv
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path and ports[get["port"]] == port
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


@pytest.mark.parametrize("name", ["ssj-api", "ssj-worker"])
def test_ssj_runs_unprivileged_on_a_read_only_root(name: str):
    spec = pod(name)["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])


def test_every_deployment_keeps_one_pod_through_a_disruption():
    budgets = {
        json.dumps(b["spec"]["selector"]["matchLabels"], sort_keys=True): b["spec"]
        for b in BY_KIND["PodDisruptionBudget"]
    }
    for deployment in BY_KIND["Deployment"]:
        labels = json.dumps(deployment["spec"]["selector"]["matchLabels"], sort_keys=True)
        assert budgets[labels]["minAvailable"] == 1


def test_the_service_and_ingress_reach_the_api():
    (service,) = BY_KIND["Service"]
    assert service["spec"]["selector"] == pod("ssj-api")["spec"]["selector"]["matchLabels"]
    (ingress,) = BY_KIND["Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_the_setup_job_migrates_then_sets_up_the_bus_with_three_replicas():
    (job,) = BY_KIND["Job"]
    spec = job["spec"]["template"]["spec"]
    assert [c["command"] for c in spec["initContainers"]] == [["ssj", "db", "migrate"]]
    assert [c["command"] for c in spec["containers"]] == [
        ["ssj", "bus", "setup", "--replicas", "3"]
    ]


def secret_keys() -> dict[str, set[str]]:
    found = {}
    for manifest in documents(KUBERNETES / "secrets.example.yaml"):
        assert kube_errors(manifest) is None
        for key, value in manifest["stringData"].items():
            placeholder = value == "CHANGE-ME" or (key == "username" and value.startswith("ssj_"))
            in_url = re.fullmatch(r"postgresql://\w+:CHANGE-ME@[\w.-]+:5432/ssj", value)
            assert placeholder or in_url, f"{manifest['metadata']['name']}/{key}"
        found[manifest["metadata"]["name"]] = set(manifest["stringData"])
    return found


def references(value: Any) -> list[tuple[str, str]]:
    """Every (secret, key) a manifest reads."""
    found = []
    if isinstance(value, dict):
        ref = value.get("secretKeyRef")
        if isinstance(ref, dict):
            found.append((ref["name"], ref["key"]))
        for name in ("accessKeyId", "secretAccessKey"):
            if isinstance(value.get(name), dict) and "key" in value[name]:
                found.append((value[name]["name"], value[name]["key"]))
        for item in value.values():
            found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found


def test_every_secret_a_manifest_reads_is_in_the_template_with_a_placeholder():
    keys = secret_keys()
    values = load_yaml(KUBERNETES / "nats-values.yaml")
    for secret, key in references([m for _, m in ALL]) + references(values):
        assert key in keys.get(secret, set()), f"{secret}/{key}"
    (cluster,) = BY_KIND["Cluster"]
    assert {"username", "password"} <= keys[
        cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"]
    ]
    for role in cluster["spec"]["managed"]["roles"]:
        assert {"username", "password"} <= keys[role["passwordSecret"]["name"]]


def test_no_manifest_holds_a_secret_value():
    for name, manifest in ALL:
        if name.startswith("secrets.example.yaml:"):
            continue
        assert manifest["kind"] != "Secret", name
        text = yaml.safe_dump(manifest)
        assert not re.search(r"://[^:/@\s]+:[^@\s]+@", text), name


# ---------------------------------------------------------------------------- NATS
def test_the_nats_values_are_the_charts_own_keys():
    """Every key set is one the chart reads (its defaults list them all), except inside the maps
    the chart passes on as they are."""
    defaults = load_yaml(SCHEMAS / "nats-chart-values.yaml")
    free = {"merge", "env", "topologySpreadConstraints", "resources"}

    def unknown(ours: Any, theirs: Any, path: str) -> list[str]:
        if not isinstance(ours, dict):
            return []
        found = []
        for key, value in ours.items():
            if not isinstance(theirs, dict) or key not in theirs:
                found.append(f"{path}.{key}")
            elif key not in free:
                found += unknown(value, theirs[key], f"{path}.{key}")
        return found

    values = load_yaml(KUBERNETES / "nats-values.yaml")
    assert unknown(values, defaults, "") == []
    misspelt = copy.deepcopy(values)
    misspelt["config"]["jetstream"]["filestore"] = misspelt["config"]["jetstream"].pop("fileStore")
    assert unknown(misspelt, defaults, "") == [".config.jetstream.filestore"]


def test_the_nats_cluster_is_three_jetstream_servers_on_volumes():
    config = load_yaml(KUBERNETES / "nats-values.yaml")["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    store = config["jetstream"]["fileStore"]
    assert config["jetstream"]["enabled"] and store["enabled"] and store["pvc"]["enabled"]


def permissions(conf: str) -> dict[str, dict[str, list[str]]]:
    """Each user's publish and subscribe allow lists in deploy/nats/ssj.conf."""
    blocks = dict(re.findall(r"(\w+)_PERMISSIONS = \{(.*?)\n  \}", conf, re.S))
    users = re.findall(r'\{ user: "(\w+)", password: \$\w+, permissions: \$(\w+)_PERMISSIONS', conf)
    found = {}
    for user, block in users:
        lists = {}
        for direction in ("publish", "subscribe"):
            allow = re.search(direction + r": \{ allow: \[(.*?)\]", blocks[block], re.S)
            lists[direction] = re.findall(r'"([^"]+)"', allow[1]) if allow else []
        found[user] = lists
    return found


def test_the_nats_users_are_those_of_the_server_configuration():
    expected = permissions((DEPLOY / "nats/ssj.conf").read_text(encoding="utf-8"))
    assert set(expected) >= {"ssj", "office", "fire"}
    values = load_yaml(KUBERNETES / "nats-values.yaml")
    users = values["config"]["merge"]["authorization"]["users"]
    got = {
        u["user"]: {d: u["permissions"][d]["allow"] for d in ("publish", "subscribe")}
        for u in users
    }
    assert got == expected
    env = values["container"]["env"]
    for user in users:
        variable = re.fullmatch(r"<< \$(\w+) >>", user["password"])
        assert variable is not None, user["user"]
        assert env[variable[1]]["valueFrom"]["secretKeyRef"]["name"] == "ssj-nats-users"


def environment(container: dict[str, Any]) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        (config,) = [
            m
            for m in BY_KIND["ConfigMap"]
            if m["metadata"]["name"] == source["configMapRef"]["name"]
        ]
        names |= set(config["data"])
    return names


def test_only_the_bus_users_are_given_the_bus():
    """The API does not use NATS: given SSJ_NATS_URL, its /readyz would wait for the bus too."""
    (api,) = pod("ssj-api")["spec"]["template"]["spec"]["containers"]
    assert not {n for n in environment(api) if n.startswith("SSJ_NATS")}
    (worker,) = pod("ssj-worker")["spec"]["template"]["spec"]["containers"]
    (job,) = BY_KIND["Job"]
    (bus_setup,) = job["spec"]["template"]["spec"]["containers"]
    for container in (worker, bus_setup):
        assert {"SSJ_NATS_URL", "SSJ_NATS_USER", "SSJ_NATS_PASSWORD"} <= environment(container)
