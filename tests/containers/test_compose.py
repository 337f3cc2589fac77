"""
compose.yaml: valid for Debian's docker-compose (`docker-compose config`), the topology the
deployment needs (PostgreSQL primary + replica, a 3+3 Redis Cluster and its one-shot creation,
3 API instances, 2 workers, nginx, Prometheus), refused without its secrets or when broken; the
support files of deploy/compose parse (promtool, sh -n).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

from harness import skip_allowed  # noqa: E402

SECRETS = {"ERP_JWT_SECRET": "compose-suite-secret-0123456789-abcdefgh",
           "ERP_FILE_URL_SECRET": "compose-suite-file-secret-0123456789-abcd",
           "POSTGRES_PASSWORD": "pg-password", "REPLICATION_PASSWORD": "replication-password"}


def compose_config(directory, env):
    """(exit status, stdout, stderr) of `docker-compose config` on directory/compose.yaml."""
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    p = subprocess.run(["docker-compose", "--project-directory", directory, "-f",
                        os.path.join(directory, "compose.yaml"), "config"],
                       capture_output=True, text=True, timeout=120, env={**clean, **env})
    return p.returncode, p.stdout, p.stderr


class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("docker-compose") is None:
            skip_allowed("docker-compose is not installed (scripts/bootstrap --test installs it)")
        rc, out, err = compose_config(ROOT, SECRETS)
        if rc != 0:
            raise AssertionError(f"docker-compose config refused compose.yaml: {err}")
        import yaml  # Debian's python3-yaml, a dependency of docker-compose

        cls.config = yaml.safe_load(out)
        cls.services = cls.config["services"]

    def test_the_topology(self):
        names = set(self.services)
        self.assertLessEqual({"postgres-primary", "postgres-replica", "redis-cluster-create", "migrate",
                              "nginx", "prometheus"}, names)
        self.assertEqual(sorted(n for n in names if n.startswith("redis-") and n[6:].isdigit()),
                         [f"redis-{i}" for i in range(1, 7)])
        apis = sorted(n for n in names if n.startswith("api-"))
        workers = sorted(n for n in names if n.startswith("worker-"))
        self.assertEqual(len(apis), 3)
        self.assertEqual(len(workers), 2)
        for n in apis + workers + ["migrate"]:
            with self.subTest(n):
                s = self.services[n]
                self.assertEqual(s["image"], "school-erp:latest")
                self.assertEqual(s["environment"]["ERP_JWT_SECRET"], SECRETS["ERP_JWT_SECRET"])
                self.assertIn("target_session_attrs=read-write", s["environment"]["ERP_DATABASE_URL"])
                self.assertTrue(s["environment"]["ERP_REDIS_URL"].startswith("redis+cluster://"))
        for n in apis:
            self.assertEqual(self.services[n]["command"], ["serve"])
            deps = self.services[n]["depends_on"]
            self.assertEqual(deps["migrate"]["condition"], "service_completed_successfully")
            self.assertEqual(deps["redis-cluster-create"]["condition"], "service_completed_successfully")
        for n in workers:
            self.assertEqual(self.services[n]["command"], ["worker"])
            self.assertEqual(self.services[n]["healthcheck"]["test"], ["CMD", "school-erp", "health", "--worker"])
        self.assertEqual(self.services["migrate"]["command"], ["migrate"])
        for i in range(1, 7):
            self.assertIn("--cluster-enabled", self.services[f"redis-{i}"]["command"])
        self.assertEqual(self.services["postgres-replica"]["depends_on"]["postgres-primary"]["condition"],
                         "service_healthy")

    def test_nginx_is_the_trusted_proxy_of_every_instance(self):
        nginx_ip = self.services["nginx"]["networks"]["erp"]["ipv4_address"]
        with open(os.path.join(ROOT, "deploy", "compose", "nginx.conf"), encoding="utf-8") as f:
            conf = f.read()
        for n in (n for n in self.services if n.startswith("api-")):
            self.assertEqual(self.services[n]["environment"]["ERP_TRUSTED_PROXIES"], nginx_ip)
            self.assertIn(f"server {n}:8080 max_fails=", conf)
        self.assertIn("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", conf)
        self.assertIn("keepalive ", conf)

    def test_mounted_files_exist_and_parse(self):
        checked = 0
        for name, s in self.services.items():
            for v in s.get("volumes", []):
                source = v["source"] if isinstance(v, dict) else v.split(":")[0]
                if source.startswith("/"):
                    with self.subTest(f"{name}: {source}"):
                        self.assertTrue(os.path.isfile(source), source)
                        checked += 1
                        if source.endswith(".sh"):
                            self.assertEqual(subprocess.run(["sh", "-n", source]).returncode, 0)
        self.assertGreaterEqual(checked, 5)  # 2 PostgreSQL scripts, the cluster's, nginx's and Prometheus's configs
        if shutil.which("promtool") is None:
            skip_allowed("promtool is not installed (scripts/bootstrap --test installs prometheus)")
        p = subprocess.run(["promtool", "check", "config", os.path.join(ROOT, "deploy", "compose", "prometheus.yml")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(ROOT, "deploy", "compose", "prometheus.yml"), encoding="utf-8") as f:
            prom = f.read()
        for n in self.services:
            if n.startswith("api-"):
                self.assertIn(f'"{n}:9100"', prom)
            elif n.startswith("worker-"):
                self.assertIn(f'"{n}:9464"', prom)

    def test_refused_without_its_secrets(self):
        for missing in SECRETS:
            with self.subTest(missing):
                rc, _, err = compose_config(ROOT, {k: v for k, v in SECRETS.items() if k != missing})
                self.assertNotEqual(rc, 0)
                self.assertIn(missing, err)

    def test_a_broken_compose_file_is_refused(self):
        with open(os.path.join(ROOT, "compose.yaml"), encoding="utf-8") as f:
            text = f.read()
        broken = {
            "unknown service in depends_on": text.replace("depends_on: [api-1, api-2, api-3]",
                                                          "depends_on: [api-1, api-2, api-4]", 1),
            "unknown key": text.replace("  nginx:\n    image: nginx:1.22\n", "  nginx:\n    image: nginx:1.22\n"
                                        "    restartt: always\n", 1),
            "wrong type": text.replace("stop_grace_period: 40s", "stop_grace_period: [40]", 1),
        }
        for what, t in broken.items():
            with self.subTest(what), tempfile.TemporaryDirectory() as tmp:
                self.assertNotEqual(t, text)
                with open(os.path.join(tmp, "compose.yaml"), "w", encoding="utf-8") as f:
                    f.write(t)
                rc, _, err = compose_config(tmp, SECRETS)
                self.assertNotEqual(rc, 0, what)


if __name__ == "__main__":
    unittest.main()
