"""deploy/k8s, checked offline: each overlay renders with ``kubectl kustomize``, every
object validates against the Kubernetes schemas (kubernetes-validate), and the
manifests agree with the code: images, commands, ports, probes, settings, the
gateway's upstreams and limits, migrations and who may call whom."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from jifen.gateway import render_kubernetes_config
from shared.defaults import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
KUBERNETES_VERSION = "1.32.0"  # the cluster version the manifests target
APIS = ("training", "points", "rewards")
INSTALL_HINT = ("kubectl is needed to render deploy/k8s offline (`kubectl kustomize`) and was "
                "not found on PATH: install kubectl (it bundles kustomize)")


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail(INSTALL_HINT)
    return found


def render(overlay: str) -> list[dict[str, Any]]:
    done = subprocess.run([kubectl(), "kustomize", str(OVERLAYS / overlay)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module", params=["dev", "prod"])
def overlay(request) -> tuple[str, dict[tuple[str, str], dict[str, Any]]]:
    docs = render(request.param)
    return request.param, {(d["kind"], d["metadata"]["name"]): d for d in docs}


def settings_class(service: str) -> Any:
    module = __import__(f"services.{service}_api.config", fromlist=["Settings"])
    return module.Settings


def spec_of(service: str) -> Any:
    module = __import__(f"services.{service}_api.main", fromlist=["create_app"])
    return module.create_app().state.spec


def pod(objects: dict, kind: str, name: str) -> dict[str, Any]:
    return objects[(kind, name)]["spec"]["template"]["spec"]


def test_every_object_validates_against_the_kubernetes_schemas(overlay):
    name, objects = overlay
    for (kind, obj_name), obj in objects.items():
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        assert obj["metadata"].get("namespace") == f"jifen{'-dev' if name == 'dev' else ''}", \
            (kind, obj_name)


def test_the_apis_run_the_services_as_their_settings_say(overlay):
    name, objects = overlay
    config = objects[("ConfigMap", "jifen-config")]["data"]
    for service in APIS:
        port = DEFAULT_PORTS[service]
        spec = pod(objects, "Deployment", service)
        [container] = spec["containers"]
        assert container["image"] == f"jifen:{'dev' if name == 'dev' else '0.1.0'}"
        command = container["command"]
        assert command[:2] == ["uvicorn", f"services.{service}_api.main:app"]
        assert command[command.index("--port") + 1] == str(port)
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["readinessProbe"]["httpGet"] == {"path": f"/{service}/readyz",
                                                          "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": f"/{service}/healthz",
                                                         "port": "http"}
        service_obj = objects[("Service", service)]["spec"]
        assert service_obj["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
        fields = settings_class(service).model_fields
        prefix = f"{service.upper()}_"
        env = {e["name"]: e for e in container["env"]}
        for variable in [*env, *(k for k in config if k.startswith(prefix))]:
            assert variable.startswith(prefix) and variable[len(prefix):].lower() in fields, \
                f"{variable} is no setting of {service}_api"
        for secret in ("DATABASE_URL", "JWT_SECRET", "SERVICE_KEY", "SERVICE_PUBLIC_KEYS"):
            assert "secretKeyRef" in env[prefix + secret]["valueFrom"]
        assert config[prefix + "ENVIRONMENT"] == ("development" if name == "dev"
                                                  else "production")
        for peer in APIS:
            assert config[f"{prefix}{peer.upper()}_URL"] == f"http://{peer}:{DEFAULT_PORTS[peer]}"
        assert ("HorizontalPodAutoscaler", service) in objects
        assert ("PodDisruptionBudget", service) in objects


def test_pods_run_unprivileged_on_a_read_only_root(overlay):
    _, objects = overlay
    for (kind, name), obj in objects.items():
        if kind not in ("Deployment", "Job"):
            continue
        spec = obj["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"] + spec.get("initContainers", []):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert "limits" in container["resources"] and "requests" in container["resources"]


def test_each_service_has_a_migration_job(overlay):
    _, objects = overlay
    for service in APIS:
        [container] = pod(objects, "Job", f"migrate-{service}")["containers"]
        ini = container["command"][container["command"].index("-c") + 1]
        assert container["command"][-2:] == ["upgrade", "head"]
        assert (ROOT / ini).is_file() and ini == f"migrations/{service}/alembic.ini"
        env = {e["name"] for e in container["env"]}
        assert f"{service.upper()}_DATABASE_URL" in env


def test_the_gateway_is_rendered_from_the_template_with_the_configured_limits(overlay):
    _, objects = overlay
    config = objects[("ConfigMap", "jifen-config")]["data"]
    spec = pod(objects, "Deployment", "gateway")
    [render_step] = spec["initContainers"]
    assert "jifen gateway render --target kubernetes" in render_step["command"][-1]
    [nginx] = spec["containers"]
    conf = render_kubernetes_config(rate_per_second=int(config["GATEWAY_RATE_PER_SECOND"]),
                                    burst=int(config["GATEWAY_BURST"]),
                                    max_body_mb=int(config["GATEWAY_MAX_BODY_MB"]))
    assert f"listen 0.0.0.0:{nginx['ports'][0]['containerPort']};" in conf
    for service in APIS:
        assert f"server {service}:{DEFAULT_PORTS[service]} " in conf
        assert f"location /{service}/ {{" in conf
    assert f"rate={config['GATEWAY_RATE_PER_SECOND']}r/s" in conf
    assert f"client_max_body_size {config['GATEWAY_MAX_BODY_MB']}m;" in conf
    assert "application/problem+json" in conf
    assert objects[("Service", "gateway")]["spec"]["ports"][0]["port"] == 8080


def test_network_policies_let_each_api_be_called_only_by_the_gateway_and_its_callers(overlay):
    _, objects = overlay
    assert objects[("NetworkPolicy", "default-deny-ingress")]["spec"]["podSelector"] == {}
    callers: dict[str, set[str]] = {s: {"gateway"} for s in APIS}
    for service in APIS:
        spec = spec_of(service)
        for peer in [*spec.outbox_destinations, *spec.peers]:
            if peer in APIS:
                callers[peer].add(service)
    for service in APIS:
        [rule] = objects[("NetworkPolicy", f"{service}-ingress")]["spec"]["ingress"]
        allowed = {source["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                   for source in rule["from"]}
        assert allowed == callers[service], service
        assert rule["ports"] == [{"port": DEFAULT_PORTS[service]}]


def test_secrets_are_generated_only_for_development(overlay):
    name, objects = overlay
    secrets = {n for (kind, n) in objects if kind == "Secret"}
    if name == "prod":
        assert secrets == set()  # the operator creates them (docs/deploy.md)
        return
    assert {s.rsplit("-", 1)[0] for s in secrets} == {"jifen-database", "jifen-jwt",
                                                      "jifen-service-keys"}
    [database] = [o for (kind, n), o in objects.items() if n.startswith("jifen-database")]
    assert set(database["data"]) == set(APIS)
