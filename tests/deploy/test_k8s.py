"""deploy/k8s: schema-valid manifests whose names, labels, probes and env wiring agree with each other."""

from __future__ import annotations

import copy
import re

import kubernetes_validate
import pytest
import yaml
from deploy_checks import CONTRACT_ENV_VARS, DEPLOY_DIR, DEPLOY_ENV_VARS, SECRET_ENV_VARS, Stage

K8S_DIR = DEPLOY_DIR / "k8s"
# Oldest release we promise to run on (autoscaling/v2 and policy/v1 are GA there) and the newest known.
K8S_VERSIONS = ("1.28", kubernetes_validate.latest_version())
ARGS = {
    "web": ["serve", "--host", "0.0.0.0", "--port", "8000"],
    "worker": ["worker"],
}
MIGRATE_ARGS = ["migrate"]
WORKER_PROBE = ["contextjson", "worker", "--check"]


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
    """component -> the Deployment running it."""
    return {"web": _only("Deployment", "web"), "worker": _only("Deployment", "worker")}


def _pod(workload: dict) -> dict:
    return workload["spec"]["template"]


def _container(workload: dict) -> dict:
    containers = _pod(workload)["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _init_container(workload: dict) -> dict:
    (init,) = _pod(workload)["spec"].get("initContainers", [])
    return init


def _all_containers(workloads: dict) -> list[tuple[str, dict, dict]]:
    """(label, container, its workload) for every container and init container."""
    found = []
    for component, workload in workloads.items():
        found.append((component, _container(workload), workload))
        found += [(f"{component}/{c['name']}", c, workload) for c in _pod(workload)["spec"].get("initContainers", [])]
    return found


def _quantity_bytes(value: str) -> int:
    """A Kubernetes quantity such as 1152Mi or 2G in bytes."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", value).groups()  # type: ignore[union-attr]
    return int(number) * units.get(unit, 1)


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
    for kind in ("ConfigMap", "Secret", "Service", "HorizontalPodAutoscaler"):
        assert kind in kinds
    assert kinds.count("Deployment") == 2


def test_nothing_blocks_a_second_apply() -> None:
    """A Job's pod template is immutable: re-applying a changed one fails, so migrations run elsewhere."""
    assert not [doc for _, doc in DOCS if doc["kind"] in ("Job", "CronJob")]


def test_containers_run_the_cli_subcommands(workloads: dict) -> None:
    images = set()
    for component, workload in workloads.items():
        container = _container(workload)
        assert container["args"] == ARGS[component], component
        assert "command" not in container, f"{component} overrides the image's contextjson entrypoint"
        images.add(container["image"])
    for label, container, _ in _all_containers(workloads):
        images.add(container["image"])
        assert "command" not in container, label
    assert len(images) == 1, f"web, worker and migrate must run one image: {images}"


@pytest.mark.parametrize("component", ["web", "worker"])
def test_pods_migrate_before_they_start(workloads: dict, component: str) -> None:
    """Web starting next to an unmigrated database would only crash until someone migrates it."""
    workload = workloads[component]
    init, main = _init_container(workload), _container(workload)
    assert init["args"] == MIGRATE_ARGS
    assert init["envFrom"] == main["envFrom"], "migrate must reach the same database"
    assert init.get("restartPolicy") is None, "a sidecar (restartPolicy: Always) would not finish before start"


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
    assert not _matches(selector, _pod(workloads["worker"])["metadata"]["labels"])
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


def test_web_probes_liveness_without_the_database_and_readiness_with_it(workloads: dict) -> None:
    """A database outage must take web pods out of the Service (readiness), not restart all of them."""
    container = _container(workloads["web"])
    paths = {
        probe: container[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {"startupProbe": "/livez", "livenessProbe": "/livez", "readinessProbe": "/healthz"}
    for probe in paths:
        assert _resolve_port(container, container[probe]["httpGet"]["port"]) == 8000, probe


def test_workers_have_a_liveness_probe(workloads: dict) -> None:
    container = _container(workloads["worker"])
    for probe in ("livenessProbe", "startupProbe"):
        assert container[probe]["exec"]["command"] == WORKER_PROBE, probe
        # The probe starts a Python process: give it time, and the worker refreshes its key every 30 s.
        assert container[probe]["timeoutSeconds"] >= 5, probe
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > 60, "one missed refresh must not kill it"


def test_every_container_has_resources(workloads: dict) -> None:
    for label, container, _ in _all_containers(workloads):
        resources = container["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], label
        assert resources["limits"]["memory"], label


def test_pods_run_as_the_images_non_root_user(workloads: dict, image_uid: int) -> None:
    for component, workload in workloads.items():
        pod_security = _pod(workload)["spec"]["securityContext"]
        assert pod_security["runAsNonRoot"] is True, component
        assert pod_security.get("runAsUser", image_uid) == image_uid, component
    for label, container, _ in _all_containers(workloads):
        assert container.get("securityContext", {}).get("allowPrivilegeEscalation") is False, label


def test_mounted_volumes_exist_and_a_read_only_root_has_a_writable_tmp(workloads: dict) -> None:
    for label, container, workload in _all_containers(workloads):
        volumes = {v["name"] for v in _pod(workload)["spec"].get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert set(mounts.values()) <= volumes, label
        if container.get("securityContext", {}).get("readOnlyRootFilesystem"):
            assert "/tmp" in mounts, f"{label}: read-only root without a writable /tmp"


def test_workers_keep_archives_on_a_bounded_volume(workloads: dict) -> None:
    """Generations (workers, as REDIS_URL is set) download to SNAPSHOT_CACHE_DIR under a read-only root."""
    config = _only("ConfigMap")["data"]
    assert "REDIS_URL" in _only("Secret")["stringData"], "without Redis, web pods would run jobs too"
    worker = workloads["worker"]
    mounts = {m["mountPath"]: m["name"] for m in _container(worker).get("volumeMounts", [])}
    volume_name = mounts.get(config["SNAPSHOT_CACHE_DIR"])
    assert volume_name, f"nothing writable is mounted at {config['SNAPSHOT_CACHE_DIR']}"
    (volume,) = [v for v in _pod(worker)["spec"]["volumes"] if v["name"] == volume_name]
    size_limit = _quantity_bytes(volume["emptyDir"]["sizeLimit"])
    cache_cap = int(config["SNAPSHOT_CACHE_MAX_BYTES"])
    # Over its sizeLimit a pod is evicted: the cap must fit, and the volume should not be much larger.
    assert cache_cap < size_limit <= cache_cap * 1.25, (cache_cap, size_limit)


def test_quantities_are_read_right() -> None:
    assert _quantity_bytes("1152Mi") == 1152 * 2**20 and _quantity_bytes("2Gi") == 2 * 2**30
    assert _quantity_bytes("500M") == 500 * 10**6 and _quantity_bytes("4096") == 4096


def test_env_comes_from_the_configmap_and_the_secret(workloads: dict) -> None:
    configmap, secret = _only("ConfigMap"), _only("Secret")
    for label, container, _ in _all_containers(workloads):
        refs = {(k, v["name"]) for source in container["envFrom"] for k, v in source.items()}
        assert refs == {
            ("configMapRef", configmap["metadata"]["name"]),
            ("secretRef", secret["metadata"]["name"]),
        }, label
        assert "env" not in container, f"{label}: set configuration in the ConfigMap or Secret"


def test_configmap_and_secret_together_are_the_contract() -> None:
    config = set(_only("ConfigMap")["data"])
    secret_doc = _only("Secret")
    assert "data" not in secret_doc, "use stringData placeholders, not base64"
    secret = set(secret_doc["stringData"])
    expected = CONTRACT_ENV_VARS | DEPLOY_ENV_VARS
    assert not config & secret, config & secret
    assert config | secret == expected, expected ^ (config | secret)
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
    assert str(settings.snapshot_cache_dir) == "/data/snapshots" and settings.snapshot_cache_max_bytes == 2**30
    assert settings.metrics_token


def test_the_optional_service_monitor_scrapes_web_with_the_token(workloads: dict) -> None:
    (monitor,) = _load(K8S_DIR / "extras" / "servicemonitor.yaml")
    service, secret = _only("Service"), _only("Secret")
    assert monitor["kind"] == "ServiceMonitor"
    assert _matches(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    credentials = endpoint["authorization"]["credentials"]
    assert endpoint["authorization"]["type"] == "Bearer"
    assert credentials["name"] == secret["metadata"]["name"] and credentials["key"] in secret["stringData"]
    assert credentials["key"] == "METRICS_TOKEN"


def test_trusted_proxies_name_networks_beyond_loopback() -> None:
    """Behind the ingress every request comes from the controller's pods: they must be trusted, or all
    visitors share one rate limit; and each entry must be something the proxy-header middleware reads."""
    import ipaddress

    entries = [e.strip() for e in _only("ConfigMap")["data"]["TRUSTED_PROXIES"].split(",")]
    networks = [ipaddress.ip_network(entry) for entry in entries]
    assert any(not net.is_loopback and net.is_private for net in networks), networks
