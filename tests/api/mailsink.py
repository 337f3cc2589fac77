"""
mailsink.py - a real SMTP server for the suite (tests/lib/smtp_sink.py, on Debian's python3-aiosmtpd) and
reading what it received.

    sink = MailSink().start()          # smtp://127.0.0.1:PORT in sink.url
    server = Server(env={"ERP_SMTP_URL": sink.url})
    msg = sink.wait_for(lambda m: m["To"].addresses[0].addr_spec == "a@x.example")
    token = link_token(msg)            # the token of the link in the message
    sink.stop()

Recipients steer the sink: reject…@ is refused with 550, later…@ with 451, slow…@ gets its DATA answer
SLOW seconds late (the message is stored first).
"""

import email
import email.policy
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

from harness import ROOT, wait_until

SINK = os.path.join(ROOT, "tests", "lib", "smtp_sink.py")


class MailSink:
    def __init__(self, slow=30.0, tls=None, auth=None):
        """tls: (certificate file, key file) to offer and require STARTTLS; auth: "user:password" to require."""
        self.slow = slow
        self.tls = tls
        self.auth = auth
        self.dir = None
        self.proc = None
        self.port = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="erp-mail-")
        argv = ["/usr/bin/python3", SINK, "--dir", os.path.join(self.dir, "mail"), "--slow", str(self.slow)]
        if self.tls:
            argv += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.auth:
            argv += ["--auth", self.auth]
        self.stderr = open(os.path.join(self.dir, "sink.log"), "w")  # aiosmtpd's tracebacks of refused sessions
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=self.stderr,
                                     text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            self.stop()
            raise AssertionError(f"the SMTP sink did not start: {line}")
        self.port = int(line[1])
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if getattr(self, "stderr", None) is not None:
            self.stderr.close()
            self.stderr = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.proc = None

    def messages(self):
        """Every message received so far, oldest first: email.message.EmailMessage with .envelope (a dict), .raw."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.dir, "mail", "*.eml"))):
            with open(path, "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            msg.raw = raw
            with open(path[:-4] + ".json") as f:
                msg.envelope = json.load(f)
            out.append(msg)
        return out

    def to(self, address):
        """Messages whose envelope names address."""
        return [m for m in self.messages() if address in m.envelope["rcptTos"]]

    def wait_for(self, address, count=1, timeout=30.0):
        """Waits until address received count messages; returns them."""
        return wait_until(lambda: (lambda ms: ms if len(ms) >= count else None)(self.to(address)), timeout=timeout,
                          message=f"{count} message(s) to {address}")


def text_body(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def html_body(msg):
    return msg.get_body(preferencelist=("html",)).get_content()


def link_token(msg):
    """The token of the link a message carries (…?token=XYZ)."""
    m = re.search(r"\?token=([A-Za-z0-9_-]+)", text_body(msg))
    if m is None:
        raise AssertionError(f"no link in the message:\n{text_body(msg)}")
    return m.group(1)
