"""
The container image (Dockerfile), built and run with podman as the test machine allows (the runc
runtime, explicit ulimits, the host's network; base images from tests/containers/base-images):

* it runs as uid 10001, with a HEALTHCHECK and STOPSIGNAL SIGTERM;
* `migrate` creates the schema (SQLite in a mounted directory; a new database on the suite's PostgreSQL);
* `serve` on a read-only root filesystem answers /readyz, and its HEALTHCHECK passes;
* a `worker` container completes a job (a CSV export) asked for through the API;
* SIGTERM stops the server and the worker by themselves (exit 0, before podman's SIGKILL).

Where podman cannot run containers here, the tests say so and skip (harness.skip_allowed).
Everything it starts is removed: containers, the image built and its build's intermediate images;
the base images and the tagged stages `localhost/school-erp-ct:build-deps` / `:runtime-base`
stay as the cache that makes later runs fast (podman rmi them to start cold).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from harness import skip_allowed, wait_until  # noqa: E402
from services import Postgres, free_port  # noqa: E402

PODMAN = ["podman", "--runtime", "runc"]
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096", "--network=host"]
CACHE_TAGS = {"build-deps": "localhost/school-erp-ct:build-deps", "runtime-base": "localhost/school-erp-ct:runtime-base"}
SECRET = "container-suite-secret-0123456789-abcdefgh"
PASSWORD = "container suite password 1"
DRAIN = 5
UID = 10001


def podman(*args, timeout=120, check=True, **kw):
    p = subprocess.run(PODMAN + list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])} … exit {p.returncode}: {p.stderr[-3000:]}")
    return p


def image_ids():
    """The full ids of every image, intermediate ones included (without the "sha256:" of some listings)."""
    return {i.split(":")[-1] for i in podman("images", "-a", "-q", "--no-trunc").stdout.split()}


def http(method, url, body=None, token=None, timeout=10):
    """(status, JSON document or None) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
            try:
                return r.status, json.loads(text)
            except ValueError:
                return r.status, None  # /healthz answers "ok"
    except urllib.error.HTTPError as e:
        return e.code, None
    except OSError:
        return 0, None


class Image(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("podman") is None:
            skip_allowed("podman is not installed (scripts/bootstrap --test installs it): the image is not built")
        if os.geteuid() != 0:
            skip_allowed("not root: the tests hand the image's uid 10001 a host directory, which rootless podman maps")
        info = subprocess.run(PODMAN + ["info"], capture_output=True, text=True, timeout=60)
        if info.returncode != 0:
            skip_allowed(f"podman cannot run on this machine: {info.stderr.strip()[-300:]}")
        cls.tag = f"localhost/school-erp-ct:test-{os.getpid()}"
        cls.containers = []
        cls.before = image_ids()
        base = subprocess.run([os.path.join(HERE, "base-images")], capture_output=True, text=True, timeout=900)
        if base.returncode != 0:
            raise AssertionError(f"tests/containers/base-images failed: {base.stdout}{base.stderr}")
        probe = subprocess.run(PODMAN + ["run", "--rm", *LIMITS, "docker.io/library/debian:bookworm-slim", "true"],
                               capture_output=True, text=True, timeout=120)
        if probe.returncode != 0:
            skip_allowed(f"podman cannot start a container on this machine: {probe.stderr.strip()[-300:]}")
        try:
            cls.build()
        except BaseException:
            cls.remove_images()
            raise

    @classmethod
    def build(cls):
        common = ["build", "--format", "docker", "--pull=never", *LIMITS, "--file", os.path.join(ROOT, "Dockerfile")]
        for target, tag in CACHE_TAGS.items():
            old = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
            podman(*common, "--target", target, "-t", tag, ROOT, timeout=1200)
            if old and podman("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip() != old:
                podman("rmi", old, check=False)  # the stage changed (scripts/bootstrap, the Dockerfile)
        # the cache: the tagged stages and the intermediate images their layers are found by
        cls.before = image_ids()
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        podman(*common, "--build-arg", f"ERP_COMMIT={commit}", "-t", cls.tag, ROOT, timeout=1200)

    @classmethod
    def remove_images(cls):
        """The test's image and the intermediate images its build made (not the cache stages')."""
        podman("rmi", cls.tag, check=False)
        for i in sorted(image_ids() - cls.before):
            podman("rmi", i, check=False)

    @classmethod
    def tearDownClass(cls):
        for name in cls.containers:
            podman("rm", "--force", "--time", "0", name, check=False)
        cls.remove_images()

    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="erp-ct-")
        os.chown(self.data, UID, UID)
        self.addCleanup(shutil.rmtree, self.data, True)

    def run_image(self, *args, env=None, stdin=None, timeout=120):
        """Runs a container to its end; returns the CompletedProcess."""
        e = [x for k, v in (env or {}).items() for x in ("-e", f"{k}={v}")]
        return podman("run", "--rm", "--no-healthcheck", "-i" if stdin is not None else "--tty=false", *LIMITS, *e,
                      "-v", f"{self.data}:/var/lib/school-erp", self.tag, *args, input=stdin, timeout=timeout,
                      check=False)

    def start(self, name, *args, env):
        """Starts a detached container on a read-only root (its data directory mounted); returns its name."""
        name = f"erp-ct-{os.getpid()}-{name}"
        e = [x for k, v in env.items() for x in ("-e", f"{k}={v}")]
        type(self).containers.append(name)
        self.addCleanup(podman, "rm", "--force", "--time", "0", name, check=False)
        podman("run", "-d", "--name", name, "--read-only", "--tmpfs", "/tmp", *LIMITS, *e,
               "-v", f"{self.data}:/var/lib/school-erp", self.tag, *args)
        return name

    def logs(self, name):
        p = podman("logs", name, check=False)
        return (p.stdout + p.stderr)[-3000:]

    def stop(self, name):
        """SIGTERM with podman's SIGKILL DRAIN + 10 s later; the exit status (137 when it had to kill)."""
        podman("stop", "--time", str(DRAIN + 10), name, timeout=DRAIN + 60)
        return int(podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip())

    def test_image_metadata(self):
        info = json.loads(podman("image", "inspect", self.tag).stdout)[0]
        cfg = info["Config"]
        self.assertEqual(cfg["User"], f"{UID}:{UID}")
        self.assertEqual(cfg["StopSignal"], "SIGTERM")
        self.assertEqual(info["Healthcheck"]["Test"], ["CMD", "school-erp", "health"])  # docker format only
        self.assertEqual(cfg["Entrypoint"], ["school-erp"])
        self.assertEqual(cfg["Cmd"], ["serve"])
        who = podman("run", "--rm", "--no-healthcheck", *LIMITS, "--entrypoint", "id", self.tag, "-u").stdout.strip()
        self.assertEqual(who, str(UID))
        # runtime libraries only: no compiler, no -dev packages
        tools = podman("run", "--rm", "--no-healthcheck", *LIMITS, "--entrypoint", "sh", self.tag, "-c",
                       "command -v gcc cc meson; dpkg -l | awk '/^ii/ {print $2}' | grep -- -dev$", check=False)
        self.assertEqual(tools.stdout.strip(), "")
        version = podman("run", "--rm", "--no-healthcheck", *LIMITS, self.tag, "version").stdout
        self.assertRegex(version, r"^school-erp \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)")

    def serve_env(self, port, **extra):
        env = {"ERP_LISTEN": f"127.0.0.1:{port}", "ERP_JWT_SECRET": SECRET, "ERP_DRAIN_SECONDS": str(DRAIN),
               "ERP_SERVE_WORKERS": "0", "ERP_PASSWORD_HASH_MEMORY_KIB": "8192", "ERP_PASSWORD_HASH_PASSES": "1"}
        env.update(extra)
        return env

    def wait_ready(self, name, url):
        try:
            wait_until(lambda: http("GET", url)[0] == 200, timeout=60, message=f"{url} answers 200")
        except AssertionError:
            raise AssertionError(f"{name} never became ready: {self.logs(name)}")

    def test_sqlite_migrate_serve_worker_and_sigterm(self):
        env = {"ERP_JWT_SECRET": SECRET}
        m = self.run_image("migrate", env=env)
        self.assertEqual(m.returncode, 0, m.stderr)
        self.assertRegex(m.stdout, r"\d+ migrations applied")
        t = self.run_image("tenant", "create", "--name", "Container School", "--slug", "ct-school", "--admin-email",
                           "admin@ct.example", "--admin-password-stdin", env=env, stdin=PASSWORD + "\n")
        self.assertEqual(t.returncode, 0, t.stderr)
        port, wport = free_port(), free_port()
        api = self.start("api", "serve", env=self.serve_env(port))
        base = f"http://127.0.0.1:{port}"
        self.wait_ready(api, base + "/readyz")
        self.assertEqual(podman("healthcheck", "run", api, check=False).returncode, 0, self.logs(api))
        with urllib.request.urlopen(base + "/", timeout=10) as page:  # the web app ships in the image
            self.assertEqual(page.headers["Content-Type"].split(";")[0], "text/html")
            self.assertIn(b'type="module"', page.read())
        worker = self.start("worker", "worker", env={**env, "ERP_WORKER_LISTEN": f"127.0.0.1:{wport}",
                                                       "ERP_WORKER_GRACE_MS": "2000"})
        self.wait_ready(worker, f"http://127.0.0.1:{wport}/healthz")
        self.assertEqual(podman("exec", worker, "school-erp", "health", "--worker", check=False).returncode, 0)

        status, doc = http("POST", base + "/api/v1/auth/login",
                           {"tenant": "ct-school", "email": "admin@ct.example", "password": PASSWORD})
        self.assertEqual(status, 200, self.logs(api))
        token = doc["accessToken"]
        status, job = http("GET", base + "/api/v1/exports/students", token=token)
        self.assertEqual(status, 202)
        url = f"{base}/api/v1/jobs/{job['jobId']}"
        def finished():
            doc = http("GET", url, token=token)[1]
            return doc["state"] if doc is not None and doc["state"] in ("completed", "failed") else None

        state = wait_until(finished, timeout=60, message="the worker container finishes the export")
        self.assertEqual(state, "completed", self.logs(worker))

        self.assertEqual(self.stop(api), 0, self.logs(api))
        self.assertIn('"msg":"stopped"', self.logs(api))
        self.assertNotIn("drain time over", self.logs(api))
        self.assertEqual(self.stop(worker), 0, self.logs(worker))

    def postgres_url(self):
        """A new database: on the suite's PostgreSQL (tests/run's ERP_TEST_PG_PORT), else on the test's own."""
        port = os.environ.get("ERP_TEST_PG_PORT")
        if not port:
            root = tempfile.mkdtemp(prefix="erp-ct-pg-")
            os.chmod(root, 0o755)
            self.addCleanup(shutil.rmtree, root, True)
            own = Postgres(root, "pg").init().start()
            self.addCleanup(own.stop, "immediate")
            port = str(own.port)
        name = f"containers_{os.getpid()}"
        psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d",
                "postgres", "-c"]
        subprocess.run(psql + [f'CREATE DATABASE "{name}"'], check=True, capture_output=True, timeout=60)
        self.addCleanup(subprocess.run, psql + [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                        capture_output=True, timeout=60)
        return f"postgres://postgres@127.0.0.1:{port}/{name}"

    def test_postgres_migrate_and_serve(self):
        url = self.postgres_url()
        env = {"ERP_DATABASE_URL": url, "ERP_JWT_SECRET": SECRET}
        m = self.run_image("migrate", env=env)
        self.assertEqual(m.returncode, 0, m.stderr)
        again = self.run_image("migrate", "--check", env=env)
        self.assertEqual(again.returncode, 0, again.stderr)
        port = free_port()
        api = self.start("api-pg", "serve", env=self.serve_env(port, ERP_DATABASE_URL=url))
        self.wait_ready(api, f"http://127.0.0.1:{port}/readyz")
        self.assertEqual(self.stop(api), 0, self.logs(api))

    def test_a_schema_not_migrated_is_refused(self):
        port = free_port()
        r = self.run_image("serve", env=self.serve_env(port), timeout=60)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
