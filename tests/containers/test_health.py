"""
`school-erp health`, the probe of the image's HEALTHCHECK, against the real binary of the build
(ERP_BIN): 0 while /readyz answers 200, 1 once the server drains or is gone, 2 on a bad argument;
an unspecified listen address is asked on loopback.
"""

import os
import signal
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from harness import ERP_BIN, Server, wait_until  # noqa: E402
from services import free_port  # noqa: E402


def health(*args, env=None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ERP_")}
    return subprocess.run([ERP_BIN, "health", *args], env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=30)


class Health(unittest.TestCase):
    def test_ready_server_then_draining_then_gone(self):
        port = free_port()
        server = Server(env={"ERP_LISTEN": f"0.0.0.0:{port}", "ERP_DRAIN_SECONDS": "5"}).start()
        self.addCleanup(server.stop)
        self.assertEqual(health(env={"ERP_LISTEN": f"0.0.0.0:{port}"}).returncode, 0)
        self.assertEqual(health(f"http://127.0.0.1:{port}/healthz").returncode, 0)
        server.proc.send_signal(signal.SIGTERM)
        r = wait_until(lambda: (lambda p: p if p.returncode != 0 else None)(
            health(env={"ERP_LISTEN": f"127.0.0.1:{port}"})), timeout=30, message="health fails once the server stops")
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"http://127.0.0.1:{port}/readyz", r.stderr)

    def test_nothing_listening(self):
        r = health(env={"ERP_WORKER_LISTEN": f"127.0.0.1:{free_port()}"}, *["--worker"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("/healthz", r.stderr)

    def test_bad_arguments(self):
        for args, env in ((["--nonsense"], {}), (["a", "b"], {}), ([], {"ERP_LISTEN": "no-port"})):
            with self.subTest(args=args, env=env):
                r = health(*args, env=env)
                self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    unittest.main()
