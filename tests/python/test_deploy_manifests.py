"""The Kubernetes manifests of deploy/kubernetes, checked offline (no cluster, no PostgreSQL):

- every manifest against the Kubernetes API schemas (`kubernetes-validate --strict`, Kubernetes
  1.30 and 1.37), and the ServiceMonitor — a CRD those schemas do not know — against a subset of
  the Prometheus Operator's CRD schema (tests/fixtures/kubernetes/);
- the facts that tie the manifests to each other and to the gateway: the image, command, user and
  ports of deploy/Containerfile, the listen addresses of the config file, probe paths the router
  serves, label selectors, Secret keys, environment names the gateway reads;
- the config file of the ConfigMap through `agentkit config check`, and `agentkit serve` with it
  and the Secret's variables (SQLite standing in for PostgreSQL): it serves /healthz, /readyz and
  /metrics on the ports the manifests name, writes nothing but its pid file to the data dir, and
  refuses to start with any of the Secret template's placeholders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema  # PyYAML and jsonschema come with kubernetes-validate (pyproject's dev extra)
import pytest
import yaml

from gateway import ROOT, agentkit_binary

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

MANIFESTS = ROOT / "deploy" / "kubernetes"
SECRET_TEMPLATE = "secret.example.yaml"
SERVICE_MONITOR_SCHEMA = ROOT / "tests" / "fixtures" / "kubernetes" / "servicemonitor-v1.subset.schema.json"
# The oldest Kubernetes these manifests are for (the preStop `sleep` action is on by default from
# 1.30) and the newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
# Kinds the Kubernetes schemas cannot know: checked against their own schema below.
CRD_KINDS = {"ServiceMonitor"}


def _manifest_files() -> list[Path]:
    return sorted(p for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml")


def _load_resources() -> dict[str, dict]:
    """Every resource of the manifests, by kind (`Service` twice: by name, see `_services`)."""
    found: dict[str, dict] = {}
    for path in _manifest_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            key = doc["kind"] if doc["kind"] != "Service" else f"Service/{doc['metadata']['name']}"
            assert key not in found, f"{key} defined twice ({path.name})"
            found[key] = {**doc, "_file": path.name}
    return found


@pytest.fixture(scope="module")
def resources() -> dict[str, dict]:
    return _load_resources()


def _services(resources: dict[str, dict]) -> dict[str, dict]:
    return {k.split("/", 1)[1]: v for k, v in resources.items() if k.startswith("Service/")}


def _container(resources: dict[str, dict]) -> dict:
    containers = resources["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, "one container: the gateway"
    return containers[0]


def _pod_labels(resources: dict[str, dict]) -> dict[str, str]:
    return resources["Deployment"]["spec"]["template"]["metadata"]["labels"]


def _selects(match_labels: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(match_labels) and all(labels.get(k) == v for k, v in match_labels.items())


def _config_text(resources: dict[str, dict]) -> str:
    return resources["ConfigMap"]["data"]["agentkit.toml"]


def _config(resources: dict[str, dict]) -> dict:
    return tomllib.loads(_config_text(resources))


def _port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def _secret_values(resources: dict[str, dict]) -> dict[str, str]:
    secret = resources["Secret"]
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return {**data, **(secret.get("stringData") or {})}


# ---------------------------------------------------------------- schemas


def test_every_manifest_passes_the_kubernetes_schemas_strictly():
    files = [str(p.relative_to(ROOT)) for p in _manifest_files()]
    versions = [arg for v in KUBERNETES_VERSIONS for arg in ("-k", v)]
    run = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", *versions, *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    # A kind or apiVersion the schemas do not know is only a warning there (exit 0): every
    # built-in resource must have been validated, against each version.
    for key, doc in _load_resources().items():
        if doc["kind"] in CRD_KINDS:
            continue
        for version in KUBERNETES_VERSIONS:
            minor = ".".join(version.split(".")[:2])
            line = (f"INFO deploy/kubernetes/{doc['_file']} passed for resource "
                    f"{doc['kind'].lower()}/{doc['metadata']['name']} against version {minor}")
            assert line in out, f"{key} not validated against {version}:\n{out}"
    warned = {line.split()[1] for line in out.splitlines() if line.startswith("WARN")}
    crd_files = {f"deploy/kubernetes/{d['_file']}" for d in _load_resources().values() if d["kind"] in CRD_KINDS}
    assert warned == crd_files, out


def test_the_service_monitor_matches_the_prometheus_operator_schema(resources):
    schema = json.loads(SERVICE_MONITOR_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    monitor = {k: v for k, v in resources["ServiceMonitor"].items() if k != "_file"}
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(monitor), key=str)
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)

    def seconds(duration: str) -> float:
        units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
        parts = re.findall(r"(\d+)(ms|s|m|h|d)", duration)
        assert "".join(n + u for n, u in parts) == duration, duration
        return sum(int(n) * units[u] for n, u in parts)

    # Prometheus refuses a scrape timeout longer than the interval.
    for endpoint in monitor["spec"]["endpoints"]:
        if "interval" in endpoint and "scrapeTimeout" in endpoint:
            assert seconds(endpoint["scrapeTimeout"]) <= seconds(endpoint["interval"]), endpoint


def test_the_kustomization_applies_every_manifest_but_the_secret_template(resources):
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), listed
    # The template stays out, so that `kubectl apply -k` never overwrites the real Secret.
    assert set(listed) == {p.name for p in _manifest_files()} - {SECRET_TEMPLATE}
    image = _container(resources)["image"]
    for entry in kustomization.get("images", []):
        assert entry["name"] == image.rsplit(":", 1)[0], f"images: {entry['name']} is no image of the Deployment"


# ---------------------------------------------------------------- the image


def test_the_deployment_runs_the_image_as_built(resources):
    containerfile = (ROOT / "deploy" / "Containerfile").read_text()
    build_script = (ROOT / "scripts" / "build-image.sh").read_text()
    container = _container(resources)
    # The tag `make image` (scripts/build-image.sh, without a static binary) builds and `-t` uses.
    assert re.search(r'^\s*-t "\$image" \.$', build_script, re.M), "build-image.sh tags what $image names"
    built = set(re.findall(r"^\s*image=(localhost/[^\s$]+)$", build_script, re.M))
    assert container["image"] in built, (container["image"], built)
    # ENTRYPOINT stays the image's; args are its CMD (with the config path the ConfigMap fills).
    assert "command" not in container
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", containerfile, re.M).group(1))
    assert container["args"] == cmd
    user, group = re.search(r"^USER (\d+):(\d+)$", containerfile, re.M).groups()
    pod_security = resources["Deployment"]["spec"]["template"]["spec"]["securityContext"]
    assert (str(pod_security["runAsUser"]), str(pod_security["runAsGroup"])) == (user, group)
    assert pod_security["runAsNonRoot"] is True
    exposed = {int(p) for p in re.search(r"^EXPOSE (.+)$", containerfile, re.M).group(1).split()}
    assert {p["containerPort"] for p in container["ports"]} == exposed


def test_the_config_file_is_where_the_gateway_is_told_to_read_it(resources):
    container = _container(resources)
    config_path = container["args"][container["args"].index("--config") + 1]
    volumes = {v["name"]: v for v in resources["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    mounted = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert mount.get("readOnly") is True
            for item in volume["configMap"]["items"]:
                mounted[f"{mount['mountPath'].rstrip('/')}/{item['path']}"] = (volume["configMap"]["name"], item["key"])
    assert config_path in mounted, (config_path, mounted)
    name, key = mounted[config_path]
    assert name == resources["ConfigMap"]["metadata"]["name"] and key in resources["ConfigMap"]["data"]


def test_the_data_dir_is_writable_under_a_read_only_root(resources):
    container = _container(resources)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    volumes = {v["name"]: v for v in resources["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    writable = [m["mountPath"] for m in container["volumeMounts"]
                if not m.get("readOnly") and "emptyDir" in volumes[m["name"]]]
    data_dir = _config(resources)["server"]["data_dir"]
    assert any(data_dir == p or data_dir.startswith(p.rstrip("/") + "/") for p in writable), (data_dir, writable)


def test_termination_grace_covers_the_pre_stop_pause_and_the_drain(resources):
    pod = resources["Deployment"]["spec"]["template"]["spec"]
    pause = _container(resources).get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    drain = _config(resources)["server"].get("shutdown_drain_secs", 30)  # the gateway's default
    assert pod["terminationGracePeriodSeconds"] > pause + drain


# ---------------------------------------------------------------- ports, probes, selectors


def test_probes_and_listeners_use_the_container_ports(resources):
    container = _container(resources)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = _config(resources)
    # The config file's listeners are the container ports, reachable from outside the pod.
    for name, address in (("http", config["server"]["listen"]), ("metrics", config["metrics"]["listen"])):
        assert ports[name] == _port_of(address), (name, address)
        assert not address.startswith(("127.", "[::1]", "localhost")), f"{address}: kubelet and Prometheus cannot reach it"

    def probe_port(probe: dict) -> int:
        port = probe["httpGet"]["port"]
        assert port in ports or port in ports.values(), f"probe port {port!r} is no container port"
        return ports.get(port, port)

    router = (ROOT / "server" / "src" / "router.rs").read_text()
    for kind, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        probe = container[kind]
        assert probe["httpGet"]["path"] == path, kind
        assert f'.route("{path}"' in router, f"the router serves no {path}"
        assert probe_port(probe) == ports["http"], f"{kind} must probe the API listener"


def test_services_select_the_pods_and_target_their_ports(resources):
    container = _container(resources)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    pod_labels = _pod_labels(resources)
    deployment = resources["Deployment"]
    assert _selects(deployment["spec"]["selector"]["matchLabels"], pod_labels)
    services = _services(resources)
    for name, service in services.items():
        assert _selects(service["spec"]["selector"], pod_labels), name
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            assert target in ports or target in ports.values(), f"{name}: targetPort {target!r} is no container port"
    targets = {name: {ports.get(p.get("targetPort"), p.get("targetPort")) for p in s["spec"]["ports"]}
               for name, s in services.items()}
    # /metrics is on a Service of its own, never on the API's.
    assert ports["metrics"] not in targets["agentkit"] and ports["http"] in targets["agentkit"]
    assert targets["agentkit-metrics"] == {ports["metrics"]}
    for constraint in deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", []):
        assert _selects(constraint["labelSelector"]["matchLabels"], pod_labels), constraint


def test_the_disruption_budget_covers_the_pods_and_lets_one_go(resources):
    budget = resources["PodDisruptionBudget"]["spec"]
    assert _selects(budget["selector"]["matchLabels"], _pod_labels(resources))
    replicas = resources["Deployment"]["spec"]["replicas"]
    assert replicas == 3
    if "minAvailable" in budget:
        assert 0 < budget["minAvailable"] < replicas, "a drain must be able to take one replica"
    else:
        assert 0 < budget["maxUnavailable"] < replicas


def test_the_service_monitor_scrapes_the_metrics_service(resources):
    monitor = resources["ServiceMonitor"]["spec"]
    services = _services(resources)
    selected = [name for name, s in services.items() if _selects(monitor["selector"]["matchLabels"], s["metadata"]["labels"])]
    assert selected == ["agentkit-metrics"], selected
    port_names = {p["name"] for p in services["agentkit-metrics"]["spec"]["ports"]}
    scrape = (ROOT / "server" / "src" / "telemetry" / "scrape.rs").read_text()
    for endpoint in monitor["endpoints"]:
        assert endpoint["port"] in port_names, (endpoint["port"], port_names)
        path = endpoint.get("path", "/metrics")
        assert f'.route("{path}"' in scrape, f"the metrics listener serves no {path}"


# ---------------------------------------------------------------- the Secret and the environment


def test_the_secret_holds_every_key_the_deployment_reads(resources):
    secret = resources["Secret"]
    values = _secret_values(resources)
    referenced = set()
    for env in _container(resources)["env"]:
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        assert ref, f"{env['name']}: set from the Secret, not inline"
        assert ref["name"] == secret["metadata"]["name"], env
        assert ref["key"] in values, f"{env['name']}: the Secret has no key {ref['key']!r}"
        assert not ref.get("optional"), f"{env['name']}: a missing key must stop the pod"
        referenced.add(ref["key"])
    assert referenced == set(values), f"keys in the Secret nobody reads: {set(values) - referenced}"
    # A template, clearly: every value is a placeholder (refused by the gateway, see below).
    for key, value in values.items():
        assert "REPLACE-ME" in value, key


def test_every_variable_is_read_by_the_gateway_or_named_by_the_config(resources):
    sources = "\n".join(p.read_text() for p in (ROOT / "server" / "src").rglob("*.rs"))
    config_text = _config_text(resources)
    named_by_config = set(re.findall(r'^\s*\w+_env\s*=\s*"([^"]+)"', config_text, re.M))
    env_names = {env["name"] for env in _container(resources)["env"]}
    for name in env_names:
        if name.startswith("AGENTKIT_"):
            assert f'"{name}"' in sources, f"the gateway reads no {name}"
        else:
            assert name in named_by_config, f"{name}: neither the gateway's nor named by the config file"
    assert named_by_config <= env_names, f"the config file names unset variables: {named_by_config - env_names}"


# ---------------------------------------------------------------- the gateway with these files


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gateway_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "PG"))}
    env.update(values)
    return env


def _valid_secret(db_dir: str) -> dict[str, str]:
    """Values of the kind the Secret wants, with SQLite standing in for PostgreSQL."""
    return {
        "AGENTKIT_DATABASE_URL": f"sqlite://{db_dir}/agentkit.db",
        "AGENTKIT_SIGNING_KEY": secrets.token_urlsafe(36),
        "AGENTKIT_VAULT_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "APP_CLIENT_SECRET_SHA256": hashlib.sha256(b"app-secret").hexdigest(),
    }


def _local_config(resources: dict[str, dict], data_dir: str, api_port: int, metrics_port: int) -> str:
    """The ConfigMap's file with its data dir and listeners moved to this machine."""
    text = _config_text(resources)
    for key, value in (("data_dir", data_dir), ("listen", f"127.0.0.1:{api_port}")):
        text, n = re.subn(rf'^{key} = "[^"]*"', f'{key} = "{value}"', text, count=1, flags=re.M)
        assert n == 1, key
    text, n = re.subn(r'^(\[metrics\]\nlisten = )"[^"]*"', rf'\g<1>"127.0.0.1:{metrics_port}"', text, flags=re.M)
    assert n == 1, "metrics.listen"
    return text


def test_the_config_check_accepts_the_config_map(resources, tmp_path):
    config = tmp_path / "agentkit.toml"
    config.write_text(_config_text(resources))
    env = _gateway_env(APP_CLIENT_SECRET_SHA256=hashlib.sha256(b"app-secret").hexdigest())
    run = subprocess.run([agentkit_binary(), "config", "check", str(config)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "no problems found" in run.stderr, run.stderr  # not even a warning
    assert 'client_id = "skc_app"' in run.stdout


def test_the_gateway_serves_with_these_files(resources):
    data_dir = tempfile.mkdtemp(prefix="agentkit-k8s-data-")
    db_dir = tempfile.mkdtemp(prefix="agentkit-k8s-db-")
    api_port, metrics_port = _free_port(), _free_port()
    config = Path(db_dir) / "agentkit.toml"
    config.write_text(_local_config(resources, f"{data_dir}/data", api_port, metrics_port))
    log = open(Path(db_dir) / "gateway.log", "w+")
    process = subprocess.Popen([agentkit_binary(), *_container(resources)["args"][:2], str(config)],
                               env=_gateway_env(**_valid_secret(db_dir)), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"the gateway stopped:\n{Path(log.name).read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/readyz", timeout=2) as answer:
                    ready = json.loads(answer.read())
                if (Path(data_dir) / "data" / "agentkit.pid").exists():
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, f"not ready in 30 s:\n{Path(log.name).read_text()}"
            time.sleep(0.1)
        assert ready["status"] == "ready", ready
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/healthz", timeout=2) as answer:
            assert answer.read() == b"ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as answer:
            assert b"agentkit_build_info" in answer.read()
        # With the database and every key from the environment, a read-only root file system
        # and a small emptyDir suffice: the data dir holds the pid file alone.
        assert sorted(os.listdir(Path(data_dir) / "data")) == ["agentkit.pid"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0, Path(log.name).read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(db_dir, ignore_errors=True)


# What the gateway says when it refuses each placeholder of the Secret template.
PLACEHOLDER_REFUSALS = {
    "AGENTKIT_DATABASE_URL": "database_url must start with sqlite: or postgres://",
    "AGENTKIT_SIGNING_KEY": "AGENTKIT_SIGNING_KEY must have at least 32 characters",
    "AGENTKIT_VAULT_KEYS": "AGENTKIT_VAULT_KEYS: key \"k1\" is not base64",
    "APP_CLIENT_SECRET_SHA256": "client_secret_sha256 must be the 64 hex digits",
}


@pytest.mark.parametrize("key", sorted(PLACEHOLDER_REFUSALS))
def test_the_gateway_refuses_each_placeholder_of_the_secret_template(resources, key):
    assert set(PLACEHOLDER_REFUSALS) == set(_secret_values(resources))
    work = tempfile.mkdtemp(prefix="agentkit-k8s-placeholder-")
    try:
        config = Path(work) / "agentkit.toml"
        config.write_text(_local_config(resources, f"{work}/data", _free_port(), _free_port()))
        values = {**_valid_secret(work), key: _secret_values(resources)[key]}
        try:
            run = subprocess.run([agentkit_binary(), "serve", "--config", str(config)], env=_gateway_env(**values),
                                 capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the gateway started with the placeholder of {key}")
        assert run.returncode != 0
        assert PLACEHOLDER_REFUSALS[key] in run.stderr, run.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
