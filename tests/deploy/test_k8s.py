"""deploy/k8s: schema-valid manifests whose names, labels, probes and env wiring agree with each other."""

from __future__ import annotations

import copy
import re

import kubernetes_validate
import pytest
import yaml
from deploy_checks import CONTRACT_ENV_VARS, DEPLOY_DIR, SECRET_ENV_VARS, Stage

K8S_DIR = DEPLOY_DIR / "k8s"
# Oldest release we promise to run on (autoscaling/v2 and policy/v1 are GA there) and the newest known.
K8S_VERSIONS = ("1.28", kubernetes_validate.latest_version())
ARGS = {
    "web": ["serve", "--host", "0.0.0.0", "--port", "8000"],
    "worker": ["worker"],
    "migrate": ["migrate"],
}


def _load(path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


MANIFEST_FILES = sorted(p.name for p in K8S_DIR.glob("*.y*ml") if p.name != "kustomization.yaml")
DOCS = [(name, doc) for name in MANIFEST_FILES for doc in _load(K8S_DIR / name)]


def _only(kind: str, component: str | None = None) -> dict:
    found = [
        doc
        for _, doc in DOCS
        if doc["kind"] == kind
        and (component is None or doc["metadata"]["labels"].get("app.kubernetes.io/component") == component)
    ]
    assert len(found) == 1, f"expected one {kind} {component or ''}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def workloads() -> dict[str, dict]:
    """component -> the Deployment or Job running it."""
    return {
        "web": _only("Deployment", "web"),
        "worker": _only("Deployment", "worker"),
        "migrate": _only("Job", "migrate"),
    }


def _pod(workload: dict) -> dict:
    return workload["spec"]["template"]


def _container(workload: dict) -> dict:
    containers = _pod(workload)["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _resolve_port(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in named, f"port {port!r} is not a named port of {container['name']}"
    return named[port]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(("name", "doc"), DOCS, ids=[f"{n}:{d['kind']}" for n, d in DOCS])
def test_manifest_matches_the_kubernetes_schema(name: str, doc: dict, version: str) -> None:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{name}: {'.'.join(map(str, exc.path))}: {exc.message}")


@pytest.mark.parametrize(
    "breakage",
    ["unknown field", "string replicas", "probe without handler"],
)
def test_schema_check_rejects_a_broken_manifest(workloads: dict, breakage: str) -> None:
    doc = copy.deepcopy(workloads["web"])
    container = _container(doc)
    if breakage == "unknown field":
        container["envFrom"][0]["configMapRefs"] = container["envFrom"][0].pop("configMapRef")
    elif breakage == "string replicas":
        doc["spec"]["replicas"] = "two"
    else:
        container["livenessProbe"] = {"path": "/healthz"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest(kustomization: dict) -> None:
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == MANIFEST_FILES
    assert len(set(kustomization["resources"])) == len(kustomization["resources"])


def test_no_namespace_is_hard_coded(kustomization: dict) -> None:
    assert "namespace" not in kustomization
    for name, doc in DOCS:
        assert "namespace" not in doc["metadata"], name


def test_names_are_unique_per_kind() -> None:
    keys = [(doc["kind"], doc["metadata"]["name"]) for _, doc in DOCS]
    assert len(keys) == len(set(keys))


def test_expected_objects_exist() -> None:
    kinds = sorted(doc["kind"] for _, doc in DOCS)
    for kind in ("ConfigMap", "Secret", "Service", "HorizontalPodAutoscaler", "Job"):
        assert kind in kinds
    assert kinds.count("Deployment") == 2


def test_containers_run_the_cli_subcommands(workloads: dict) -> None:
    images = set()
    for component, workload in workloads.items():
        container = _container(workload)
        assert container["args"] == ARGS[component], component
        assert "command" not in container, f"{component} overrides the image's contextjson entrypoint"
        images.add(container["image"])
    assert len(images) == 1, f"web, worker and migrate must run one image: {images}"


def test_kustomization_sets_the_image_the_workloads_use(workloads: dict, kustomization: dict) -> None:
    image = _container(workloads["web"])["image"]
    assert image in {entry["name"] for entry in kustomization.get("images", [])}


def test_deployment_selectors_match_their_pods(workloads: dict) -> None:
    for component in ("web", "worker"):
        deployment = workloads[component]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert _matches(selector, _pod(deployment)["metadata"]["labels"]), component
    web_selector = workloads["web"]["spec"]["selector"]["matchLabels"]
    assert not _matches(web_selector, _pod(workloads["worker"])["metadata"]["labels"])


def test_web_runs_two_replicas(workloads: dict) -> None:
    assert workloads["web"]["spec"]["replicas"] == 2


def test_service_sends_port_80_to_web_pods_on_8000(workloads: dict) -> None:
    service = _only("Service")
    selector = service["spec"]["selector"]
    assert selector and _matches(selector, _pod(workloads["web"])["metadata"]["labels"])
    for other in ("worker", "migrate"):
        assert not _matches(selector, _pod(workloads[other])["metadata"]["labels"]), other
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    assert _resolve_port(_container(workloads["web"]), port.get("targetPort", 80)) == 8000


def test_hpa_scales_the_web_deployment_on_cpu(workloads: dict) -> None:
    hpa = _only("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    web = workloads["web"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        web["apiVersion"],
        web["kind"],
        web["metadata"]["name"],
    )
    cpu = [m for m in hpa["spec"]["metrics"] if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
    assert cpu and cpu[0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    assert 1 <= hpa["spec"].get("minReplicas", 1) <= web["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    # Utilization is measured against the request: without one the HPA cannot compute it.
    assert _container(web)["resources"]["requests"]["cpu"]


def test_disruption_budget_covers_web(workloads: dict) -> None:
    pdbs = [doc for _, doc in DOCS if doc["kind"] == "PodDisruptionBudget"]
    for pdb in pdbs:
        assert _matches(pdb["spec"]["selector"]["matchLabels"], _pod(workloads["web"])["metadata"]["labels"])
        # IntOrString in the schema; the API server accepts only a count or a percentage.
        (budget,) = [pdb["spec"][k] for k in ("minAvailable", "maxUnavailable") if k in pdb["spec"]]
        assert isinstance(budget, int) or re.fullmatch(r"\d{1,3}%", budget), budget
        if isinstance(budget, int) and "minAvailable" in pdb["spec"]:
            assert budget < workloads["web"]["spec"]["replicas"], "a drain could never evict a web pod"


def test_web_probes_ask_healthz_on_the_serving_port(workloads: dict) -> None:
    container = _container(workloads["web"])
    for probe in ("readinessProbe", "livenessProbe"):
        http = container[probe]["httpGet"]
        assert http["path"] == "/healthz", probe
        assert _resolve_port(container, http["port"]) == 8000, probe
    if "startupProbe" in container:
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_every_container_has_resources(workloads: dict) -> None:
    for component, workload in workloads.items():
        resources = _container(workload)["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], component
        assert resources["limits"]["memory"], component


def test_pods_run_as_the_images_non_root_user(workloads: dict, image_uid: int) -> None:
    for component, workload in workloads.items():
        pod_security = _pod(workload)["spec"]["securityContext"]
        assert pod_security["runAsNonRoot"] is True, component
        assert pod_security.get("runAsUser", image_uid) == image_uid, component
        container_security = _container(workload).get("securityContext", {})
        assert container_security.get("allowPrivilegeEscalation") is False, component


def test_mounted_volumes_exist_and_a_read_only_root_has_a_writable_tmp(workloads: dict) -> None:
    for component, workload in workloads.items():
        container = _container(workload)
        volumes = {v["name"] for v in _pod(workload)["spec"].get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert set(mounts.values()) <= volumes, component
        if container.get("securityContext", {}).get("readOnlyRootFilesystem"):
            assert "/tmp" in mounts, f"{component}: read-only root without a writable /tmp"


def test_migrate_job_does_not_restart_forever() -> None:
    job = _only("Job")
    assert _pod(job)["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"].get("backoffLimit", 6) <= 6


def test_env_comes_from_the_configmap_and_the_secret(workloads: dict) -> None:
    configmap, secret = _only("ConfigMap"), _only("Secret")
    for component, workload in workloads.items():
        container = _container(workload)
        refs = {(k, v["name"]) for source in container["envFrom"] for k, v in source.items()}
        assert refs == {
            ("configMapRef", configmap["metadata"]["name"]),
            ("secretRef", secret["metadata"]["name"]),
        }, component
        assert "env" not in container, f"{component}: set configuration in the ConfigMap or Secret"


def test_configmap_and_secret_together_are_the_contract() -> None:
    config = set(_only("ConfigMap")["data"])
    secret_doc = _only("Secret")
    assert "data" not in secret_doc, "use stringData placeholders, not base64"
    secret = set(secret_doc["stringData"])
    assert not config & secret, config & secret
    assert config | secret == CONTRACT_ENV_VARS, CONTRACT_ENV_VARS ^ (config | secret)
    assert secret >= SECRET_ENV_VARS, f"secrets in the ConfigMap: {SECRET_ENV_VARS - secret}"


def test_secret_values_are_marked_placeholders() -> None:
    for name, value in _only("Secret")["stringData"].items():
        assert "REPLACE_ME" in value, f"{name} looks like a real value"


def test_models_file_is_the_one_in_the_image(runtime_stage: Stage) -> None:
    assert _only("ConfigMap")["data"]["MODELS_FILE"] == runtime_stage.env()["MODELS_FILE"]


def test_the_app_accepts_the_configured_environment(settings_from_env) -> None:
    env = dict(_only("ConfigMap")["data"]) | dict(_only("Secret")["stringData"])
    settings = settings_from_env(env)
    assert settings.free_credit_usd == 5
    assert settings.github_private_key_pem().startswith("-----BEGIN")
    assert settings.public_url.startswith("https://")
