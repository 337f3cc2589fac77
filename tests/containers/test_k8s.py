"""
The Kubernetes manifests (deploy/k8s): every document is valid against the Kubernetes OpenAPI
schemas (tests/tools/validate-k8s.mjs, npm kubernetes-models), a broken one is refused, and the
deployment's promises hold: probes on the routes the server has, a grace period longer than the
drain, non-root and read-only pods with somewhere to write, the original HPA (3-20, 70 % CPU,
plus memory), 5 workers on QUEUE_NAME, settings the program reads, credentials only in the Secret.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

from harness import skip_allowed  # noqa: E402

K8S = os.path.join(ROOT, "deploy", "k8s")
TOOLS = os.path.join(ROOT, "tests", "tools")
VALIDATOR = os.path.join(TOOLS, "validate-k8s.mjs")
# Settings that hold credentials or URLs that may carry them: never in a ConfigMap.
SECRET_RE = re.compile(r"SECRET|PASSWORD$|_KEY$|^ERP_DATABASE_URL$|^ERP_REDIS_URL$|^PGPASSWORD$")


def validate(paths):
    """(exit status, stdout, stderr) of the validator over paths."""
    p = subprocess.run(["node", VALIDATOR, *paths], cwd=TOOLS, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def program_settings():
    """The environment variables the program reads: every "ERP_…" or "QUEUE_NAME" literal of src/."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "src", "**", "*.c"), recursive=True):
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r'"((?:ERP_[A-Z0-9_]+)|QUEUE_NAME)"', f.read()))
    return names


def drain_seconds():
    """ERP_DRAIN_SECONDS's default, from src/core/config.c (get_int(…, MIN, MAX, DEFAULT, …))."""
    with open(os.path.join(ROOT, "src", "core", "config.c"), encoding="utf-8") as f:
        m = re.search(r'"ERP_DRAIN_SECONDS",\s*\d+,\s*\d+,\s*(\d+)', f.read())
    return int(m.group(1))


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(TOOLS, "node_modules", "kubernetes-models")):
            skip_allowed("tests/tools has no node_modules (npm ci in tests/tools did not run)")
        cls.files = sorted(glob.glob(os.path.join(K8S, "*.yaml")))
        rc, out, err = validate(cls.files)
        cls.valid = (rc, err)
        cls.docs = [d["doc"] for d in json.loads(out)] if rc == 0 else []

    def find(self, kind, name):
        for d in self.docs:
            if d["kind"] == kind and d["metadata"]["name"] == name:
                return d
        self.fail(f"no {kind} {name} in deploy/k8s")

    def test_every_document_is_valid_against_the_schemas(self):
        rc, err = self.valid
        self.assertEqual(rc, 0, err)
        kinds = {d["kind"] for d in self.docs}
        self.assertLessEqual({"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                              "ConfigMap", "Secret", "Job"}, kinds)

    def test_a_broken_manifest_is_refused(self):
        api = open(os.path.join(K8S, "api.yaml"), encoding="utf-8").read()
        broken = {
            "wrong type": api.replace("replicas: 3", 'replicas: "three"', 1),
            "missing required": api.replace("      containers:\n", "      initContainers:\n", 1),
            "bad enum": api.replace("type: RollingUpdate", "type: Sometimes", 1),
            "unknown kind": api.replace("apiVersion: autoscaling/v2", "apiVersion: autoscaling/v9", 1),
            "not YAML": api.replace("  replicas: 3", "  replicas: [3", 1),
        }
        with tempfile.TemporaryDirectory() as tmp:
            for what, text in broken.items():
                with self.subTest(what):
                    self.assertNotEqual(text, api)
                    path = os.path.join(tmp, "broken.yaml")
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                    rc, out, err = validate([path])
                    self.assertEqual(rc, 1, out)
                    self.assertIn("broken.yaml", err)

    def pod_spec(self, name):
        return self.find("Deployment", name)["spec"]["template"]["spec"]

    def test_api_probes_use_the_servers_routes(self):
        c = self.pod_spec("school-erp-api")["containers"][0]
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")
        with open(os.path.join(ROOT, "src", "api", "routes.c"), encoding="utf-8") as f:
            routes = f.read()
        for path in ("/readyz", "/healthz"):
            self.assertIn(f'"{path}"', routes)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        cfg = self.find("ConfigMap", "school-erp-config")["data"]
        self.assertEqual(cfg["ERP_LISTEN"].rsplit(":", 1)[1], str(ports["http"]))
        self.assertEqual(cfg["ERP_METRICS_LISTEN"].rsplit(":", 1)[1], str(ports["metrics"]))

    def test_grace_period_outlasts_pre_stop_and_drain(self):
        spec = self.pod_spec("school-erp-api")
        c = spec["containers"][0]
        pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(pre_stop[0], "sleep")
        drain = int(self.find("ConfigMap", "school-erp-config")["data"].get("ERP_DRAIN_SECONDS", drain_seconds()))
        self.assertGreater(spec["terminationGracePeriodSeconds"], int(pre_stop[1]) + drain)
        worker = self.pod_spec("school-erp-worker")
        grace_ms = int(self.find("ConfigMap", "school-erp-config")["data"]["ERP_WORKER_GRACE_MS"])
        self.assertGreater(worker["terminationGracePeriodSeconds"], grace_ms / 1000 + 1)

    def test_pods_run_as_non_root_on_a_read_only_root_with_writable_scratch(self):
        for d in self.docs:
            if d["kind"] not in ("Deployment", "Job"):
                continue
            spec = d["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            for c in spec["containers"]:
                with self.subTest(d["metadata"]["name"]):
                    self.assertTrue(spec["securityContext"]["runAsNonRoot"])
                    self.assertNotEqual(spec["securityContext"]["runAsUser"], 0)
                    self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
                    self.assertFalse(c["securityContext"]["allowPrivilegeEscalation"])
                    self.assertIn("limits", c["resources"])
                    self.assertIn("requests", c["resources"])
                    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
                    self.assertIn("/tmp", mounts)
                    for name in mounts.values():
                        self.assertIn("emptyDir", volumes[name])

    def test_the_original_hpa_with_a_memory_metric(self):
        hpa = self.find("HorizontalPodAutoscaler", "school-erp-api")
        self.assertEqual(hpa["apiVersion"], "autoscaling/v2")
        spec = hpa["spec"]
        self.assertEqual((spec["minReplicas"], spec["maxReplicas"]), (3, 20))
        self.assertEqual(spec["scaleTargetRef"]["name"], "school-erp-api")
        targets = {m["resource"]["name"]: m["resource"]["target"] for m in spec["metrics"]}
        self.assertEqual(targets["cpu"], {"type": "Utilization", "averageUtilization": 70})
        self.assertIn("memory", targets)
        c = self.pod_spec("school-erp-api")["containers"][0]
        self.assertIn("cpu", c["resources"]["requests"])  # utilisation is relative to the request
        self.assertIn("memory", c["resources"]["requests"])

    def test_five_workers_on_queue_name(self):
        dep = self.find("Deployment", "school-erp-worker")
        self.assertEqual(dep["spec"]["replicas"], 5)
        c = dep["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(c["args"], ["worker"])
        env = {e["name"]: e["value"] for e in c.get("env", [])}
        self.assertRegex(env["QUEUE_NAME"], r"^[a-z0-9_-]{1,64}$")
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")

    def test_selectors_match_pods(self):
        pods = [d["spec"]["template"]["metadata"]["labels"] for d in self.docs if d["kind"] in ("Deployment",)]
        for d in self.docs:
            sel = None
            if d["kind"] == "Service":
                sel = d["spec"]["selector"]
            elif d["kind"] == "PodDisruptionBudget":
                sel = d["spec"]["selector"]["matchLabels"]
            if sel is None:
                continue
            with self.subTest(f'{d["kind"]} {d["metadata"]["name"]}'):
                self.assertTrue(any(sel.items() <= labels.items() for labels in pods))
        for d in self.docs:
            if d["kind"] == "Deployment":
                self.assertLessEqual(d["spec"]["selector"]["matchLabels"].items(),
                                     d["spec"]["template"]["metadata"]["labels"].items())

    def test_migration_job(self):
        job = self.find("Job", "school-erp-migrate")
        spec = job["spec"]["template"]["spec"]
        self.assertEqual(spec["containers"][0]["args"], ["migrate"])
        self.assertEqual(spec["restartPolicy"], "Never")

    def test_metrics_are_scraped(self):
        for name in ("school-erp-api", "school-erp-worker"):
            tpl = self.find("Deployment", name)["spec"]["template"]
            ann = tpl["metadata"]["annotations"]
            self.assertEqual(ann["prometheus.io/scrape"], "true")
            ports = [p["containerPort"] for p in tpl["spec"]["containers"][0]["ports"]]
            self.assertIn(int(ann["prometheus.io/port"]), ports)

    def test_settings_split_between_configmap_and_secret(self):
        known = program_settings()
        cfg = self.find("ConfigMap", "school-erp-config")["data"]
        secret = self.find("Secret", "school-erp-secrets")["stringData"]
        self.assertFalse(set(cfg) & set(secret))
        for name in list(cfg) + list(secret):
            with self.subTest(name):
                # the program's settings, or libpq's own (PGPASSWORD)
                self.assertTrue(name in known or name.startswith("PG"), f"{name} is read by nothing")
        for name in cfg:
            self.assertNotRegex(name, SECRET_RE, f"{name} belongs in the Secret")
        for name in ("ERP_DATABASE_URL", "ERP_JWT_SECRET", "ERP_FILE_URL_SECRET"):
            self.assertIn(name, secret)
        self.assertNotIn("ERP_ENABLE_TEST_ROUTES", cfg)
        for d in self.docs:
            if d["kind"] in ("Deployment", "Job"):
                refs = [list(e.values())[0]["name"] for e in d["spec"]["template"]["spec"]["containers"][0]["envFrom"]]
                self.assertEqual(refs, ["school-erp-config", "school-erp-secrets"])


if __name__ == "__main__":
    unittest.main()
