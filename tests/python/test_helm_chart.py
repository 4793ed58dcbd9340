"""deploy/helm/agentkit, checked offline with Helm's own engine (Helm 4's Go SDK, through the
helm-python-sdk wheel; there is no helm binary on Debian, PyPI or npm):

- `helm lint --strict` passes for the oldest Kubernetes the chart is for;
- rendered with its default values as release `agentkit`, it is deploy/kubernetes' deployment,
  object for object, but for Helm's own labels and the config checksum (so the reasons written in
  those manifests hold for the chart, and neither can drift alone);
- rendered as another release with values changed, every name, selector and reference follows,
  optional objects go, and everything passes the Kubernetes schemas strictly;
- it packages into a chart archive whose version is the gateway's.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from helm_python import chart as helm

from gateway import ROOT
from test_deploy_manifests import KUBERNETES_VERSIONS, _load_resources

CHART = ROOT / "deploy" / "helm" / "agentkit"
# Labels and annotations only a Helm release has.
HELM_LABELS = {"app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
               "helm.sh/chart"}
HELM_ANNOTATIONS = {"checksum/config"}


def _render(release: str, values: dict | None = None) -> dict[str, dict]:
    """The rendered objects by `Kind/name`."""
    rendered = helm.Chart.load(CHART).render(values, name=release, namespace="default", is_install=True)
    objects = {}
    for text in rendered.values():
        for doc in yaml.safe_load_all(text):
            if doc:
                key = f"{doc['kind']}/{doc['metadata']['name']}"
                assert key not in objects, f"{key} rendered twice"
                objects[key] = doc
    return objects


def _without_helm_marks(node):
    """`node` with Helm's own labels, selector terms and annotations taken out, empty maps dropped."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in HELM_LABELS or key in HELM_ANNOTATIONS:
                continue
            value = _without_helm_marks(value)
            if key == "annotations" and not value:
                continue
            out[key] = value
        return out
    if isinstance(node, list):
        return [_without_helm_marks(item) for item in node]
    return node


def test_helm_lint_passes_strictly():
    report = helm.lint(CHART, strict=True, kube_version=f"v{KUBERNETES_VERSIONS[0]}")
    assert report["errors"] == [], report
    # Severity 2 is a warning, 3 an error; 1 (info: "icon is recommended") is not a finding.
    assert [m for m in report["messages"] if m["severity"] >= 2] == [], report


def test_the_default_release_is_the_kubernetes_manifests():
    rendered = {key: _without_helm_marks(doc) for key, doc in _render("agentkit").items()}
    manifests = {f"{d['kind']}/{d['metadata']['name']}": {k: v for k, v in d.items() if k != "_file"}
                 for d in _load_resources().values()}
    manifests.pop("Secret/agentkit")  # the template the chart never creates
    assert sorted(rendered) == sorted(manifests)
    for key, doc in manifests.items():
        assert rendered[key] == doc, f"{key} differs between the chart and deploy/kubernetes"


def test_another_release_renames_everything_and_drops_what_is_turned_off():
    values = {
        "replicaCount": 5,
        "image": {"repository": "registry.example.com/agentkit", "tag": "0.1.0-static"},
        "existingSecret": "gateway-secrets",
        "secretEnv": [],
        "serviceMonitor": {"enabled": False},
        "podDisruptionBudget": {"minAvailable": 4},
    }
    objects = _render("prod", values)
    assert sorted(objects) == ["ConfigMap/prod-agentkit-config", "Deployment/prod-agentkit",
                               "PodDisruptionBudget/prod-agentkit", "Service/prod-agentkit",
                               "Service/prod-agentkit-metrics"]
    deployment = objects["Deployment/prod-agentkit"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] == 5
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector["app.kubernetes.io/instance"] == "prod"
    assert selector.items() <= pod["metadata"]["labels"].items()
    for key in ("Service/prod-agentkit", "Service/prod-agentkit-metrics"):
        assert objects[key]["spec"]["selector"] == selector
    assert objects["PodDisruptionBudget/prod-agentkit"]["spec"]["selector"]["matchLabels"] == selector
    assert objects["PodDisruptionBudget/prod-agentkit"]["spec"]["minAvailable"] == 4
    container = pod["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/agentkit:0.1.0-static"
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]} == {"gateway-secrets"}
    assert [e["name"] for e in container["env"]] == ["AGENTKIT_DATABASE_URL", "AGENTKIT_SIGNING_KEY",
                                                     "AGENTKIT_VAULT_KEYS"]
    assert pod["spec"]["volumes"][0]["configMap"]["name"] == "prod-agentkit-config"
    # Another config is another checksum: `helm upgrade` rolls the pods.
    changed = _render("prod", {**values, "config": "[server]\nlisten = \"0.0.0.0:8080\"\n"})
    before = pod["metadata"]["annotations"]["checksum/config"]
    after = changed["Deployment/prod-agentkit"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    assert before != after


@pytest.mark.parametrize("release", ["agentkit", "prod"])
def test_the_rendered_objects_pass_the_kubernetes_schemas_strictly(release, tmp_path):
    objects = [doc for doc in _render(release).values() if doc["kind"] != "ServiceMonitor"]
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(yaml.safe_dump_all(objects))
    versions = [arg for v in KUBERNETES_VERSIONS for arg in ("-k", v)]
    run = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", *versions, str(manifest)],
                         capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert out.count(" passed for resource ") == len(objects) * len(KUBERNETES_VERSIONS), out
    assert "WARN" not in out, out


def test_the_chart_packages_with_the_gateway_version(tmp_path):
    import tomllib

    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]
    chart_meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart_meta["version"] == version and chart_meta["appVersion"] == version
    archive = helm.package(CHART, destination=tmp_path)
    assert archive.endswith(f"agentkit-{version}.tgz")
    assert helm.Chart.load(archive).version == version
