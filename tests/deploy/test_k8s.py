"""The Kubernetes package as a platform team gets it: `kubectl kustomize deploy/k8s` (the example overlay).

Every check reads the rendered manifests, and the configuration inside them is loaded with the service's own
settings code, so the manifests cannot drift from what the service reads (ports, grace, queue names, secrets).
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest

from service.metrics import Metrics
from service.settings import Settings, settings_from_mapping
from tests.deploy.tooling import ROOT, load_yaml_documents, tool

Doc = dict[str, Any]

MONITORING_NAMESPACE = "monitoring"
SERVICE_LABELS = {"app.kubernetes.io/name": "payment-sessions", "app.kubernetes.io/component": "service"}


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    kubectl = tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/ (it renders offline)")
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "k8s")], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return load_yaml_documents(result.stdout)


def _all(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def _one(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    found = [doc for doc in _all(docs, kind) if name is None or doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {[d['metadata']['name'] for d in found]}"
    return found[0]


def _generated(docs: list[Doc], kind: str, base_name: str) -> Doc:
    """A ConfigMap or Secret from a generator: ``<base_name>-<10 character content hash>``."""
    pattern = re.compile(re.escape(base_name) + r"-[a-z0-9]{10}")
    found = [doc for doc in _all(docs, kind) if pattern.fullmatch(doc["metadata"]["name"])]
    assert len(found) == 1, f"expected one generated {kind} {base_name}-<hash>"
    return found[0]


def _pod_specs(docs: list[Doc]) -> Iterator[tuple[str, Doc]]:
    for kind in ("Deployment", "Job"):
        for doc in _all(docs, kind):
            yield f"{kind}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def _containers(pod: Doc) -> list[Doc]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _deployment_pod(docs: list[Doc]) -> Doc:
    pod: Doc = _one(docs, "Deployment", "payment-sessions")["spec"]["template"]["spec"]
    return pod


def _job_pod(docs: list[Doc]) -> Doc:
    pod: Doc = _one(docs, "Job", "payment-sessions-topology")["spec"]["template"]["spec"]
    return pod


def _config_text(docs: list[Doc], pod: Doc) -> str:
    """The TOML the pod's PAYMENT_SESSIONS_CONFIG names, found through its config volume's ConfigMap."""
    (container,) = pod["containers"]
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    config_path = Path(env["PAYMENT_SESSIONS_CONFIG"])
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == config_path.parent]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    config_map = _one(docs, "ConfigMap", volume["configMap"]["name"])
    text: str = config_map["data"][config_path.name]
    return text


def _secret_files(docs: list[Doc], pod: Doc) -> dict[str, tuple[str, str]]:
    """Every file the pod's Secret volumes put in the container: path -> (Secret name, key)."""
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    files: dict[str, tuple[str, str]] = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        sources = [s["secret"] for s in volume.get("projected", {}).get("sources", []) if "secret" in s]
        if "secret" in volume:
            sources.append({"name": volume["secret"]["secretName"], **volume["secret"]})
        for source in sources:
            secret = _one(docs, "Secret", source["name"])
            items = source.get("items") or [{"key": key, "path": key} for key in secret.get("data", {})]
            for item in items:
                assert item["key"] in secret.get("data", {}), f"{source['name']} has no key {item['key']}"
                files[str(Path(mount["mountPath"]) / item["path"])] = (source["name"], item["key"])
    return files


def _file_keys(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _file_keys(value, f"{prefix}{key}.")
        elif key.endswith("_file"):
            yield f"{prefix}{key}", value


_FAKE_SECRET = {"amqp-url": "amqp://user:password@broker:5672/vhost", "redis-url": "redis://redis:6379/0"}


def _with_temp_secrets(table: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The TOML with each ``<key>_file`` pointing at a temporary file (the real paths exist only in the pod)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out[key] = _with_temp_secrets(value, tmp_path)
        elif key.endswith("_file"):
            name = Path(value).name
            path = tmp_path / name
            path.write_text(_FAKE_SECRET.get(name, f"test-{name}") + "\n", encoding="utf-8")
            out[key] = str(path)
        else:
            out[key] = value
    return out


def _settings(text: str, tmp_path: Path) -> Settings:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return settings_from_mapping(_with_temp_secrets(tomllib.loads(text), tmp_path), {})


@pytest.fixture
def settings(docs: list[Doc], tmp_path: Path) -> Settings:
    return _settings(_config_text(docs, _deployment_pod(docs)), tmp_path)


def test_the_rendered_configs_load_with_the_services_settings(docs: list[Doc], tmp_path: Path) -> None:
    service = _settings(_config_text(docs, _deployment_pod(docs)), tmp_path / "service")
    assert service.idempotency.backend == "redis", "several replicas must share one idempotency store"
    assert service.logging.format == "json"
    assert service.accounts, "the service config names at least one provider account"
    assert service.broker.topology == "verify", "the least-privilege user cannot declare; the Job does"
    topology = _settings(_config_text(docs, _job_pod(docs)), tmp_path / "topology")
    # the Job declares what the service then re-declares: same names, same queue arguments
    assert topology.broker.topology == "declare"
    assert topology.topology == service.topology
    assert topology.retry == service.retry, "the retry queues are named after the delays"
    assert topology.broker.delivery_limit == service.broker.delivery_limit


@pytest.mark.parametrize("pod_of", [_deployment_pod, _job_pod], ids=["service", "topology"])
def test_every_secret_is_a_mounted_file_the_config_names(docs: list[Doc], pod_of: Any) -> None:
    pod = pod_of(docs)
    files = _secret_files(docs, pod)
    named = dict(_file_keys(tomllib.loads(_config_text(docs, pod))))
    assert named, "secrets come as <key>_file"
    for key, path in named.items():
        assert path in files, f"{key} = {path!r} is not a file of a mounted Secret ({sorted(files)})"
    assert set(files) == set(named.values()), "a pod mounts only the secrets its config reads"


def test_only_the_topology_job_gets_the_admin_credentials(docs: list[Doc]) -> None:
    service = {name for name, _ in _secret_files(docs, _deployment_pod(docs)).values()}
    job = {name for name, _ in _secret_files(docs, _job_pod(docs)).values()}
    admin = _generated(docs, "Secret", "payment-sessions-broker-admin")["metadata"]["name"]
    user = _generated(docs, "Secret", "payment-sessions-broker")["metadata"]["name"]
    assert admin in job
    assert admin not in service
    assert user in service
    assert job == {admin}


def test_every_pod_passes_pod_security_restricted(docs: list[Doc]) -> None:
    namespace = _one(docs, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pods = list(_pod_specs(docs))
    assert {name for name, _ in pods} == {"Deployment/payment-sessions", "Job/payment-sessions-topology"}
    for name, pod in pods:
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == 10001, name
        assert context["seccompProfile"]["type"] == "RuntimeDefault", name
        assert not any(pod.get(key) for key in ("hostNetwork", "hostPID", "hostIPC")), name
        assert all("hostPath" not in volume for volume in pod.get("volumes", [])), name
        assert pod["automountServiceAccountToken"] is False, name
        for container in _containers(pod):
            where = f"{name} {container['name']}"
            own = container["securityContext"]
            assert own["allowPrivilegeEscalation"] is False, where
            assert own["capabilities"]["drop"] == ["ALL"], where
            assert not own["capabilities"].get("add"), where
            assert own["readOnlyRootFilesystem"] is True, where
            assert own.get("privileged") in (None, False), where
            assert own.get("runAsUser", context["runAsUser"]) != 0, where
            assert own.get("runAsNonRoot", True) is True, where
            assert own.get("seccompProfile", context["seccompProfile"])["type"] == "RuntimeDefault", where
            assert all("hostPort" not in port for port in container.get("ports", [])), where


def test_every_container_has_requests_and_limits(docs: list[Doc]) -> None:
    for name, pod in _pod_specs(docs):
        for container in _containers(pod):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert {"cpu", "memory"} <= set(resources["limits"]), name


def test_probes_use_the_services_http_port(docs: list[Doc], settings: Settings) -> None:
    (container,) = _deployment_pod(docs)["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": settings.http.port} and settings.http.port == 8000
    paths = {"startupProbe": "/livez", "livenessProbe": "/livez", "readinessProbe": "/readyz"}
    for probe, path in paths.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert ports.get(get["port"], get["port"]) == settings.http.port, probe
    # The HTTP server starts only once the broker connection is up: the startup probe waits that long at least.
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] > settings.broker.connect_timeout


def test_termination_grace_outlasts_the_drain(docs: list[Doc], settings: Settings) -> None:
    grace = _deployment_pod(docs)["terminationGracePeriodSeconds"]
    assert grace > settings.shutdown_grace
    assert grace - settings.shutdown_grace >= 5, "room to close the connections after the drain"


def test_config_changes_roll_the_pods(docs: list[Doc]) -> None:
    """The generated name carries the content hash and the pod templates refer to exactly that name."""
    config = _generated(docs, "ConfigMap", "payment-sessions-config")["metadata"]["name"]
    topology = _generated(docs, "ConfigMap", "payment-sessions-topology-config")["metadata"]["name"]
    assert _deployment_pod(docs)["volumes"][0]["configMap"]["name"] == config
    job_volumes = [v["configMap"]["name"] for v in _job_pod(docs)["volumes"] if "configMap" in v]
    assert job_volumes == [topology]
    for base_name in ("payment-sessions-broker", "payment-sessions-redis", "payment-sessions-providers"):
        _generated(docs, "Secret", base_name)  # suffixed too: a rotated secret rolls the pods


_SECRETISH_NAME = re.compile(r"KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|URL|DSN", re.IGNORECASE)
_USERINFO = re.compile(r"://[^/@\s]*:[^/@\s]*@")


def test_no_secret_reaches_the_environment(docs: list[Doc]) -> None:
    for name, pod in _pod_specs(docs):
        for container in _containers(pod):
            where = f"{name} {container['name']}"
            assert not container.get("envFrom"), f"{where}: envFrom would put whole Secrets in the environment"
            for item in container.get("env", []):
                assert "valueFrom" not in item, f"{where}: {item['name']} from a reference; secrets are files"
                value = str(item.get("value", ""))
                assert not _USERINFO.search(value), f"{where}: {item['name']} holds credentials"
                assert item["name"] != "AMQP_URL", f"{where}: the broker URL is a file ([broker] url_file)"
                if _SECRETISH_NAME.search(item["name"]):
                    pytest.fail(f"{where}: {item['name']} looks like a secret in the environment")


def test_no_service_account_token(docs: list[Doc]) -> None:
    account = _one(docs, "ServiceAccount", "payment-sessions")
    assert account["automountServiceAccountToken"] is False
    for name, pod in _pod_specs(docs):
        assert pod["serviceAccountName"] == "payment-sessions", name
        assert pod["automountServiceAccountToken"] is False, name


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _service_pod_labels(docs: list[Doc]) -> dict[str, str]:
    labels: dict[str, str] = _one(docs, "Deployment", "payment-sessions")["spec"]["template"]["metadata"]["labels"]
    return labels


def test_deployment_spreads_and_leaves_replicas_to_keda(docs: list[Doc]) -> None:
    deployment = _one(docs, "Deployment", "payment-sessions")
    assert "replicas" not in deployment["spec"], "an apply would reset what the autoscaler decided"
    keys = {c["topologyKey"] for c in _deployment_pod(docs)["topologySpreadConstraints"]}
    assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    for constraint in _deployment_pod(docs)["topologySpreadConstraints"]:
        assert _selects(constraint["labelSelector"]["matchLabels"], _service_pod_labels(docs))


def test_disruption_budget_covers_the_service_pods(docs: list[Doc]) -> None:
    budget = _one(docs, "PodDisruptionBudget", "payment-sessions")
    assert _selects(budget["spec"]["selector"]["matchLabels"], _service_pod_labels(docs))
    assert budget["spec"].get("maxUnavailable") == 1 or budget["spec"].get("minAvailable") == 1


def _rule_ports(rules: list[Doc]) -> set[int]:
    return {port["port"] for rule in rules for port in rule.get("ports", [])}


def test_network_policies(docs: list[Doc]) -> None:
    service = _one(docs, "NetworkPolicy", "payment-sessions")["spec"]
    assert _selects(service["podSelector"]["matchLabels"], _service_pod_labels(docs))
    assert set(service["policyTypes"]) == {"Ingress", "Egress"}
    (ingress,) = service["ingress"]
    assert [port["port"] for port in ingress["ports"]] == [8000]
    (source,) = ingress["from"]
    assert source == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}
    assert _rule_ports(service["egress"]) == {5671, 5672, 6379, 26379, 53, 443}
    (https,) = [rule for rule in service["egress"] if _rule_ports([rule]) == {443}]
    (block,) = https["to"]
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(block["ipBlock"]["except"])
    for rule in service["egress"]:
        assert rule.get("to"), "every egress rule names its destination"

    job = _one(docs, "NetworkPolicy", "payment-sessions-topology")["spec"]
    job_labels = _one(docs, "Job")["spec"]["template"]["metadata"]["labels"]
    assert _selects(job["podSelector"]["matchLabels"], job_labels)
    assert set(job["policyTypes"]) == {"Ingress", "Egress"}
    assert not job.get("ingress")
    assert _rule_ports(job["egress"]) == {5671, 5672, 53}


def test_keda_scales_the_deployment_on_the_commands_queue(docs: list[Doc], settings: Settings) -> None:
    scaled = _one(docs, "ScaledObject", "payment-sessions")["spec"]
    assert scaled["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "payment-sessions"}
    assert scaled["minReplicaCount"] >= 2
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == settings.topology.commands_queue
    assert trigger["metadata"]["mode"] == "QueueLength"
    auth = _one(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    (ref,) = auth["spec"]["secretTargetRef"]
    assert ref["parameter"] == "host"
    user = _generated(docs, "Secret", "payment-sessions-broker")
    assert ref["name"] == user["metadata"]["name"], "KEDA reads the queue with the service user, not the admin"
    assert ref["key"] in user["data"]


def test_service_and_service_monitor_reach_metrics(docs: list[Doc], settings: Settings) -> None:
    service = _one(docs, "Service", "payment-sessions")
    assert _selects(service["spec"]["selector"], _service_pod_labels(docs))
    (port,) = service["spec"]["ports"]
    assert port["port"] == settings.http.port and port["name"] == "http" and port["targetPort"] == "http"
    monitor = _one(docs, "ServiceMonitor", "payment-sessions")["spec"]
    assert _selects(monitor["selector"]["matchLabels"], service["metadata"]["labels"])
    (endpoint,) = monitor["endpoints"]
    assert endpoint["port"] == port["name"] and endpoint["path"] == "/metrics"


def _service_series() -> set[str]:
    """Every series name the service's registry exposes (a histogram's as _bucket, _count and _sum)."""
    metrics = Metrics()
    metrics.watch_breakers(dict)
    names: set[str] = set()
    for line in generate_latest(metrics.registry).decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            suffixes = {"histogram": ["_bucket", "_count", "_sum"]}.get(kind, [""])  # a counter's TYPE has _total
            names |= {name + suffix for suffix in suffixes}
    return names


_SERIES = re.compile(r"\b(?:payment_sessions|rabbitmq)_[a-z0-9_]+")
_QUEUE = re.compile(r'queue="([^"]+)"')
RABBITMQ_QUEUE_SERIES = {
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_consumers",
}


def _check_expression(expr: str, settings: Settings) -> None:
    known = _service_series() | RABBITMQ_QUEUE_SERIES
    for series in _SERIES.findall(expr):
        assert series in known, f"{series} is not a series the service or RabbitMQ's plugin exposes"
    queues = {settings.topology.commands_queue, settings.topology.dead_letter_queue}
    for queue in _QUEUE.findall(expr):
        assert queue in queues, f"queue {queue!r} is not one of the config's {queues}"


def test_prometheus_rules_watch_queue_and_service(docs: list[Doc], settings: Settings) -> None:
    rule = _one(docs, "PrometheusRule", "payment-sessions")
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert set(alerts) == {
        "PaymentSessionsNoConsumer",
        "PaymentSessionsBacklogDeep",
        "PaymentSessionsBacklogStale",
        "PaymentSessionsDeadLettersGrowing",
        "PaymentSessionsCircuitOpen",
        "PaymentSessionsFailureRatioHigh",
    }
    for name, alert in alerts.items():
        _check_expression(alert["expr"], settings)
        assert alert["labels"]["severity"] in {"warning", "critical"}, name
        assert alert["annotations"]["summary"], name
    commands = f'queue="{settings.topology.commands_queue}"'
    assert "rabbitmq_detailed_queue_consumers" in alerts["PaymentSessionsNoConsumer"]["expr"]
    assert commands in alerts["PaymentSessionsNoConsumer"]["expr"]
    assert commands in alerts["PaymentSessionsBacklogDeep"]["expr"]
    assert commands in alerts["PaymentSessionsBacklogStale"]["expr"]
    assert f'queue="{settings.topology.dead_letter_queue}"' in alerts["PaymentSessionsDeadLettersGrowing"]["expr"]
    assert re.search(r"payment_sessions_circuit_state\)?\s*==\s*2", alerts["PaymentSessionsCircuitOpen"]["expr"])
    assert 'outcome="session.failed"' in alerts["PaymentSessionsFailureRatioHigh"]["expr"]


def test_grafana_dashboard_ships_as_a_labelled_config_map(docs: list[Doc], settings: Settings) -> None:
    config_map = _one(docs, "ConfigMap", "payment-sessions-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    ((file_name, text),) = config_map["data"].items()
    assert file_name.endswith(".json")
    dashboard = json.loads(text)
    assert dashboard == json.loads((ROOT / "deploy" / "k8s" / "base" / "dashboard.json").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(expressions) >= 10
    for expr in expressions:
        _check_expression(expr, settings)
    shown = {series for expr in expressions for series in _SERIES.findall(expr)}
    assert {"payment_sessions_commands_total", "payment_sessions_circuit_state"} <= shown


def test_topology_job_declares_with_the_service_image(docs: list[Doc]) -> None:
    job = _one(docs, "Job", "payment-sessions-topology")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topology"]
    (service,) = _deployment_pod(docs)["containers"]
    assert container["image"] == service["image"]
    assert service["args"] == ["run"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}
    assert job["spec"]["backoffLimit"] >= 1


def test_images_are_pinned(docs: list[Doc]) -> None:
    for name, pod in _pod_specs(docs):
        for container in _containers(pod):
            image = container["image"]
            if "@sha256:" in image:
                continue
            repository, _, tag = image.rpartition(":")
            assert repository and "/" not in tag, f"{name}: {image} has no tag"
            assert tag != "latest", f"{name}: {image}"
