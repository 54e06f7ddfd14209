"""deploy/compose.yaml is a compose file Docker would run, and it runs what the brief names.

Docker cannot run on these machines: the file is checked against the compose specification's
JSON Schema (before and after interpolation, as compose reads it), and its structure is checked
here: the processes started on loopback by tests/cluster/ are the ones it names.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest

from tests.deploy.files import (
    COMPOSE,
    DEPLOY,
    README,
    compose_schema,
    interpolate,
    load_yaml,
    variables,
)

NATS = ("nats-1", "nats-2", "nats-3")
APIS = ("api-1", "api-2")
WORKERS = ("worker-1", "worker-2")
SERVICES = {"postgres-primary", "postgres-standby", *NATS, "setup", *APIS, *WORKERS, "proxy"}
PASSWORD_WORDS = re.compile(r"(PASSWORD|SECRET|TOKEN|KEY)$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(COMPOSE)
    return document


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    """A value for every variable the file needs, as deploy/env.example lists them."""
    values = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        name, sep, _ = line.partition("=")
        if sep and not line.startswith("#"):
            values[name.strip()] = "0123456789abcdef" * 4
    values["SSJ_PUBLIC_BASE_URL"] = "https://ssj.example.gov.cn"
    return values


def errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(compose_schema())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def command(service: dict[str, Any]) -> list[str]:
    value = service["command"]
    assert isinstance(value, list), "command: 应为 YAML 列表（不经 shell 拆分）"
    return [str(part) for part in value]


def option(argv: list[str], name: str) -> str:
    assert name in argv, f"{name} 缺失：{argv}"
    return argv[argv.index(name) + 1]


# ---------------------------------------------------------------------------- the schema
def test_the_compose_file_is_valid_under_the_compose_specification(compose: dict[str, Any]):
    assert errors(compose) == []


def test_it_stays_valid_once_its_variables_are_filled_in(
    compose: dict[str, Any], environment: dict[str, str]
):
    assert errors(interpolate(compose, environment)) == []


def test_the_schema_refuses_a_broken_compose_file(compose: dict[str, Any]):
    """The check above can fail: a misspelt key, a wrong type, `version:` of another era."""
    misspelt = copy.deepcopy(compose)
    misspelt["services"]["api-1"]["comand"] = misspelt["services"]["api-1"].pop("command")
    wrong_type = copy.deepcopy(compose)
    wrong_type["services"]["proxy"]["ports"] = "80:80"
    unknown_condition = copy.deepcopy(compose)
    unknown_condition["services"]["api-2"]["depends_on"]["setup"]["condition"] = "finished"
    misnamed_secret = copy.deepcopy(compose)
    misnamed_secret["secrets"]["pg_owner_password"] = {"env": "SSJ_PG_OWNER_PASSWORD"}
    for broken in (misspelt, wrong_type, unknown_condition, misnamed_secret):
        assert errors(broken)


def test_the_file_has_no_version_key(compose: dict[str, Any]):
    # The compose specification dropped it; Compose v2 warns that it is obsolete.
    assert "version" not in compose


# ---------------------------------------------------------------------------- its services
def test_it_runs_every_service_the_deployment_needs(compose: dict[str, Any]):
    assert set(compose["services"]) == SERVICES


def test_both_apis_serve_on_every_address_and_are_ready_only_through_readyz(
    compose: dict[str, Any],
):
    for name in APIS:
        api = compose["services"][name]
        assert command(api) == ["ssj", "serve", "--host", "0.0.0.0", "--port", "8000"]
        probe = " ".join(api["healthcheck"]["test"])
        assert "http://127.0.0.1:8000/readyz" in probe
        assert api["depends_on"]["setup"]["condition"] == "service_completed_successfully"
        assert api["environment"]["SSJ_DATABASE_URL"].startswith("postgresql://ssj_service:")
        # It does not use the bus: given SSJ_NATS_URL, its /readyz would wait for NATS too.
        assert not [name for name in api["environment"] if name.startswith("SSJ_NATS")]


def test_both_apis_sign_sessions_with_one_shared_secret(compose: dict[str, Any]):
    secrets = {compose["services"][n]["environment"]["SSJ_SESSION_SECRET"] for n in APIS}
    assert len(secrets) == 1
    assert variables(secrets.pop()) == {"SSJ_SESSION_SECRET": ":?"}


def test_both_workers_run_on_the_bus_with_their_readyz_probed(compose: dict[str, Any]):
    for name in WORKERS:
        worker = compose["services"][name]
        assert command(worker) == ["ssj", "worker"]
        environment = worker["environment"]
        assert environment["SSJ_WORKER_PORT"] == "8081"
        assert "http://127.0.0.1:8081/readyz" in " ".join(worker["healthcheck"]["test"])
        servers = environment["SSJ_NATS_URL"].split(",")
        assert servers == [f"nats://{node}:4222" for node in NATS]
        assert environment["SSJ_NATS_USER"] == "ssj"


def test_setup_migrates_then_makes_the_streams_replicated_three_times(compose: dict[str, Any]):
    setup = compose["services"]["setup"]
    script = command(setup)[-1]
    migrate, bus = script.index("ssj db migrate"), script.index("ssj bus setup --replicas 3")
    assert migrate < bus and "&&" in script[migrate:bus]
    assert setup["restart"] == "no"
    assert setup["environment"]["SSJ_ADMIN_DATABASE_URL"].startswith("postgresql://ssj_owner:")
    for node in (*NATS, "postgres-primary"):
        assert setup["depends_on"][node]["condition"] == "service_healthy"


def test_the_three_nats_nodes_form_one_jetstream_cluster(compose: dict[str, Any]):
    names, routes, clusters = set(), {}, set()
    for node in NATS:
        argv = command(compose["services"][node])
        names.add(option(argv, "--name"))
        clusters.add(option(argv, "--cluster_name"))
        assert option(argv, "-c") == "/etc/ssj/nats/cluster.conf"
        assert "-js" in argv and option(argv, "-sd") == "/data"
        routes[node] = {
            re.sub(r"^nats://|:6222$", "", r) for r in option(argv, "--routes").split(",")
        }
        assert option(argv, "--cluster").endswith(":6222")
        assert "./nats:/etc/ssj/nats:ro" in compose["services"][node]["volumes"]
    assert names == set(NATS) and len(clusters) == 1
    for node, peers in routes.items():
        assert set(NATS) - {node} <= peers <= set(NATS), f"{node} 的 --routes 应指向另两个节点"


def test_every_nats_node_has_every_users_password_and_its_own_store(compose: dict[str, Any]):
    users = re.findall(r"\$(SSJ_NATS_[A-Z]+_PASSWORD)", (DEPLOY / "nats/ssj.conf").read_text())
    stores = set()
    for node in NATS:
        service = compose["services"][node]
        assert set(users) <= set(service["environment"])
        stores.add(next(v for v in service["volumes"] if v.endswith(":/data")))
    assert len(stores) == 3


def test_the_standby_streams_from_the_primary_through_its_slot(compose: dict[str, Any]):
    standby = compose["services"]["postgres-standby"]
    assert standby["depends_on"]["postgres-primary"]["condition"] == "service_healthy"
    script = (DEPLOY / "postgres/standby.sh").read_text(encoding="utf-8")
    for needed in (
        "pg_basebackup",
        "primary_conninfo",
        "primary_slot_name = 'ssj_standby'",
        "hot_standby=on",
        "archive_mode=on",
        '--host "$PRIMARY_HOST"',
    ):
        assert needed in script
    init = (DEPLOY / "postgres/init-primary.sh").read_text(encoding="utf-8")
    assert "REPLICATION" in init and "pg_create_physical_replication_slot('ssj_standby')" in init
    primary = " ".join(command(compose["services"]["postgres-primary"]))
    for setting in ("wal_level=replica", "archive_mode=on", "max_wal_senders="):
        assert setting in primary


def test_the_proxy_sends_to_both_apis(compose: dict[str, Any]):
    proxy = compose["services"]["proxy"]
    assert "./nginx/ssj.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    conf = (DEPLOY / "nginx/ssj.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream ssj_api \{(.*?)\}", conf, re.S)
    assert upstream is not None
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstream[1], re.M)
    assert sorted(servers) == [(name, "8000") for name in APIS]
    assert re.search(r"proxy_set_header X-Request-Id \$\w+;", conf)
    assert re.search(r"client_max_body_size \d+m;", conf)
    assert "http_503" not in conf  # a 503 of the API is its answer, never retried elsewhere


# ---------------------------------------------------------------------------- its variables
def test_every_variable_is_documented_in_the_deploy_readme():
    readme = README.read_text(encoding="utf-8")
    missing = [name for name in variables(COMPOSE.read_text("utf-8")) if f"`{name}`" not in readme]
    assert missing == []


def test_every_password_is_required_from_the_environment_never_defaulted():
    for name, op in variables(COMPOSE.read_text("utf-8")).items():
        if PASSWORD_WORDS.search(name):
            assert op == ":?", f"{name} 应写作 ${{{name}:?…}}：缺少时 compose 拒绝启动"


def test_a_missing_password_stops_compose_naming_it(
    compose: dict[str, Any], environment: dict[str, str]
):
    without = {k: v for k, v in environment.items() if k != "SSJ_PG_SERVICE_PASSWORD"}
    with pytest.raises(KeyError, match="SSJ_PG_SERVICE_PASSWORD"):
        interpolate(compose, without)


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]):
    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
                if PASSWORD_WORDS.search(str(key)) and isinstance(item, str):
                    assert item.startswith("${") or item.startswith("/run/secrets/"), path
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, str):
            # A URL's password is always a variable: postgresql://user:${…}@host
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", value):
                assert password.startswith("${"), f"{path}: URL 中的口令应为变量"

    walk(compose, "")
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"environment"}, name


def test_the_secret_check_catches_a_password_written_in(compose: dict[str, Any]):
    leaked = copy.deepcopy(compose)
    leaked["services"]["api-1"]["environment"]["SSJ_DATABASE_URL"] = (
        "postgresql://ssj_service:hunter2hunter2@postgres-primary:5432/ssj"
    )
    with pytest.raises(AssertionError, match="URL"):
        test_no_secret_is_written_in_the_file(leaked)


def test_the_image_the_file_builds_exists():
    build = load_yaml(COMPOSE)["x-ssj-image"]["build"]
    dockerfile = (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve()
    text = dockerfile.read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "fonts-noto-cjk" in text and re.search(r"pip install [^\n]*\.", text)
    assert re.search(r"^USER \d+", text, re.M)
