"""The container stack, checked without a Docker engine: the Compose file, the Dockerfile and the secrets.

What only a Docker host can confirm (images pull, containers become healthy, events arrive)
is written down in stack/README.md as the commands a user runs.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from conftest import REPO
from superset_divolte.config import SecretKeyError, secret_key_from

STACK = REPO / "stack"
COMPOSE_FILE = STACK / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
COMPOSE_SCHEMA = Path(__file__).parent / "stack_data" / "compose-spec.json"
"""compose-spec/compose-spec schema/compose-spec.json at a08f8d51631b7127ddac3d2c65537db429d0f1d0 (2025-10-28)."""
DEFAULTED = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")
REQUIRED = re.compile(r"\$\{(\w+):\?[^}]*\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def with_defaults(text: str) -> str:
    """``text`` as Compose interpolates it with no .env: ``${VAR:-default}`` becomes the default."""
    return DEFAULTED.sub(lambda match: match.group(2) or "", text)


def versions() -> dict[str, str]:
    lines = (STACK / "druid" / "versions.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose()), key=str)
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


def test_the_schema_check_catches_a_wrong_file() -> None:
    broken = compose()
    broken["services"]["kafka"]["ports"] = {"9092": "9092"}
    broken["services"]["divolte"]["depends_on"]["kafka"]["condition"] = "healthy"
    errors = list(jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text())).iter_errors(broken))
    assert len(errors) >= 2


def test_every_bind_mounted_file_exists() -> None:
    mounts = []
    for name, service in services().items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict) and volume["type"] == "bind":
                mounts.append((name, volume["source"]))
            elif isinstance(volume, str) and volume.startswith((".", "/")):
                mounts.append((name, volume.split(":", 1)[0]))
    assert mounts
    missing = [(name, source) for name, source in mounts if not (STACK / source).exists()]
    assert not missing


def test_every_image_is_pinned_and_druid_and_kafka_follow_versions_env() -> None:
    pinned = versions()
    for name, service in services().items():
        if "build" in service and "image" not in service:
            continue
        image = with_defaults(service["image"])
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: image {image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: image {image} is not pinned to a version"
    images = {with_defaults(service["image"]) for service in services().values() if "image" in service}
    assert f"apache/druid:{pinned['DRUID_VERSION']}" in images
    assert f"apache/kafka:{pinned['KAFKA_VERSION']}" in images
    assert "divolte/divolte-collector:0.9.0" in images


def published_host_ports() -> list[tuple[str, str]]:
    ports = []
    for name, service in services().items():
        for port in service.get("ports", []):
            parts = str(port).split(":")
            ports.append((name, parts[-2]))
    return ports


def test_no_two_services_publish_one_host_port() -> None:
    ports = published_host_ports()
    host_ports = [port for _, port in ports]
    assert len(host_ports) == len(set(host_ports)), ports
    assert {"8090", "8088", "8290", "9092", "8888"} <= set(host_ports)


def dockerfile_healthcheck() -> str | None:
    match = re.search(r"^HEALTHCHECK .*?CMD (.+)$", DOCKERFILE.read_text().replace("\\\n", " "), re.MULTILINE)
    return match.group(1) if match else None


def has_healthcheck(service: dict[str, Any]) -> bool:
    if "healthcheck" in service:
        return not service["healthcheck"].get("disable", False)
    built_here = "build" in service or service.get("image") == services()["superset"]["image"]
    return built_here and dockerfile_healthcheck() is not None


def test_every_depends_on_target_is_waited_for_by_its_health_check() -> None:
    everything = services()
    for name, service in everything.items():
        for target, condition in service.get("depends_on", {}).items():
            assert target in everything, f"{name} depends on unknown {target}"
            if condition["condition"] == "service_started":
                # Only the topic creator starts with a bare broker, and retries until it answers.
                assert (name, target) == ("kafka-topic-init", "kafka")
                continue
            if condition["condition"] == "service_completed_successfully":
                assert everything[target]["restart"] == "no", f"{name} waits for {target} to end, which restarts"
                continue
            assert condition["condition"] == "service_healthy", (name, target)
            assert has_healthcheck(everything[target]), f"{name} waits for {target}, which has no health check"


def test_kafka_listeners_work_inside_the_network_and_from_the_host() -> None:
    kafka = services()["kafka"]["environment"]
    advertised = dict(item.split("://") for item in kafka["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised["INTERNAL"] == "kafka:19092"
    assert advertised["EXTERNAL"] == "localhost:9092"
    assert "127.0.0.1:9092:9092" in services()["kafka"]["ports"]
    assert services()["divolte"]["environment"]["DIVOLTE_KAFKA_BROKER_LIST"] == advertised["INTERNAL"]
    assert services()["provision"]["environment"]["SUPERSET_DIVOLTE_KAFKA_BOOTSTRAP"] == advertised["INTERNAL"]
    assert "--partitions" in " ".join(services()["kafka-topic-init"]["command"])


def test_druid_loads_the_extensions_and_keeps_deep_storage_on_a_named_volume() -> None:
    everything = services()
    druid = {name: service for name, service in everything.items() if name.startswith("druid-")
             and service.get("image", "").startswith("apache/druid")}
    roles = {service["command"] for service in druid.values()}
    assert roles == {"coordinator", "broker", "historical", "middleManager", "router"}
    for service in druid.values():
        extensions = json.loads(service["environment"]["druid_extensions_loadList"])
        assert {"druid-kafka-indexing-service", "druid-avro-extensions", "druid-datasketches",
                "druid-multi-stage-query"} <= set(extensions)
    storage = everything["druid-historical"]["environment"]["druid_storage_storageDirectory"]
    for name in ("druid-coordinator", "druid-historical", "druid-middlemanager"):
        assert f"druid-deep-storage:{storage.rsplit('/', 1)[0]}" in everything[name]["volumes"]
    assert "druid-deep-storage" in compose()["volumes"]


def test_provision_runs_the_cli_and_names_no_ingestion_spec() -> None:
    provision = services()["provision"]
    command = " ".join(provision["command"])
    assert "superset-divolte provision --target druid" in command
    assert "create-admin" in command and "SUPERSET_ADMIN_USERNAME" in command
    assert ".json" not in COMPOSE_FILE.read_text(), "supervisor specs come from superset-divolte provision"
    assert provision["environment"]["SUPERSET_DIVOLTE_DRUID_OVERLORD_URL"].startswith("http://druid-coordinator:")
    assert provision["restart"] == "no"


def env_example() -> dict[str, str]:
    lines = (STACK / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_env_example_names_every_required_secret_and_holds_no_working_one() -> None:
    example = env_example()
    required = set(REQUIRED.findall(COMPOSE_FILE.read_text()))
    assert required == {"SUPERSET_SECRET_KEY", "SUPERSET_METADATA_PASSWORD", "DRUID_METADATA_PASSWORD",
                        "SUPERSET_ADMIN_PASSWORD"}
    assert required <= set(example)
    with pytest.raises(SecretKeyError):
        secret_key_from({"SUPERSET_SECRET_KEY": example["SUPERSET_SECRET_KEY"]})
    assert all(example[name] == "CHANGE_ME" for name in required - {"SUPERSET_SECRET_KEY"})
    assert ".env" in (REPO / ".gitignore").read_text().split()


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def dockerfile_requirements() -> dict[str, str]:
    text = DOCKERFILE.read_text()
    install = text[text.index("uv pip install"):].split("&& rm", 1)[0]
    return {requirement_name(spec): spec for spec in re.findall(r'"([^"]+)"', install)}


def test_dockerfile_installs_pyproject_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {requirement_name(spec): spec for spec in
                [*project["dependencies"], *project["optional-dependencies"]["docker"]]}
    installed = dockerfile_requirements()
    assert {"pydruid", "psycopg2-binary", "redis", "apache-superset"} <= set(installed)
    for name, spec in installed.items():
        assert declared.get(name) == spec, f"Dockerfile installs {spec}, pyproject.toml says {declared.get(name)}"


def test_dockerfile_is_the_official_image_with_our_config_a_health_check_and_no_root() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM apache/superset:6\.1\.0$", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    config_path = re.search(r"SUPERSET_CONFIG_PATH=(\S+)", text).group(1)
    assert re.search(rf"^COPY .*superset_config\.py {re.escape(config_path)}$", text, re.MULTILINE)
    assert "/health" in (dockerfile_healthcheck() or "")
    # Everything the image copies is let into the build context.
    ignore = (REPO / ".dockerignore").read_text().split()
    for source in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert f"!{path}" in ignore, f".dockerignore leaves {path} out of the build context"
            assert (REPO / path).exists()


def mount_path(service: dict[str, Any], volume: str) -> str | None:
    """Where ``service`` mounts the named ``volume`` (short syntax), or None."""
    paths = [entry.split(":")[1] for entry in service.get("volumes", [])
             if isinstance(entry, str) and entry.split(":")[0] == volume]
    return paths[0] if paths else None


def test_the_materialiser_stages_rows_where_the_ingestion_tasks_read_them() -> None:
    everything = services()
    materialiser = everything["materialise"]
    command = materialiser["command"]
    assert command[:3] == ["superset-divolte", "druid", "materialise"]
    assert command[command.index("--every") + 1] == "60"
    staging = command[command.index("--staging") + 1]
    volume = "druid-staging"
    assert volume in compose()["volumes"]
    # The middleManager forks the tasks whose local input source reads the staged files.
    assert mount_path(materialiser, volume) == staging == mount_path(everything["druid-middlemanager"], volume)
    assert mount_path(everything["druid-staging-init"], volume) == staging
    assert staging in everything["druid-staging-init"]["command"]
    assert materialiser["image"] == everything["superset"]["image"]
    assert materialiser["restart"] in ("always", "unless-stopped", "on-failure")
    waits = {target for target, condition in materialiser["depends_on"].items()
             if condition["condition"] == "service_healthy"}
    assert {"druid-coordinator", "druid-broker", "druid-historical", "druid-middlemanager"} <= waits
    environment = materialiser["environment"]
    assert environment["SUPERSET_DIVOLTE_DRUID_OVERLORD_URL"] == "http://druid-coordinator:8081"
    assert environment["SUPERSET_DIVOLTE_DRUID_BROKER_URL"] == "http://druid-broker:8082"
    assert not any("SECRET" in name or "PASSWORD" in name for name in environment), "it needs no secret"


def test_the_materialise_command_accepts_the_flags_the_stack_gives_it() -> None:
    from superset_divolte.cli import build_parser

    args = build_parser().parse_args(services()["materialise"]["command"][1:])
    assert (args.every, str(args.staging)) == (60.0, "/opt/druid-staging")
