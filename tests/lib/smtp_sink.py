#!/usr/bin/python3
"""
smtp_sink.py - an SMTP server for the test suite (Debian's python3-aiosmtpd): receives on
127.0.0.1:PORT and keeps every message as DIR/NNNNNN.eml with DIR/NNNNNN.json (envelope: mailFrom,
rcptTos). Prints "ready PORT" once listening; stops on SIGTERM.

Recipients steer it, so one sink serves every case of a test:
  reject…@…   refused at RCPT TO with 550 (a permanent failure)
  later…@…    refused at RCPT TO with 451 (a temporary one)
  slow…@…     the message is stored, then the answer to DATA waits SLOW seconds (default 30): a client
              killed meanwhile has handed the message over without knowing it

With --tls-cert/--tls-key it offers STARTTLS and requires it; with --auth USER:PASSWORD it requires AUTH
(after STARTTLS) with those credentials. Each message's .json says whether it came over TLS and who logged in.

    /usr/bin/python3 tests/lib/smtp_sink.py --port 0 --dir DIR [--slow SECONDS] [--tls-cert F --tls-key F]
                                            [--auth USER:PASSWORD]
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory, slow):
        self.directory = directory
        self.slow = slow
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, f"{self.count:06d}")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            login = session.auth_data.login.decode() if getattr(session, "auth_data", None) is not None else None
            json.dump({"mailFrom": envelope.mail_from, "rcptTos": envelope.rcpt_tos, "tls": session.ssl is not None,
                       "login": login}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        if any(r.split("@", 1)[0].lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(self.slow)
        return "250 OK: queued"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--slow", type=float, default=30.0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--auth")
    args = ap.parse_args()
    port = args.port or free_port()
    os.makedirs(args.dir, exist_ok=True)
    smtp = {}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        smtp.update(tls_context=ctx, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = data is not None and data.login == user.encode() and data.password == password.encode()
            return AuthResult(success=ok, auth_data=data if ok else None)

        smtp.update(authenticator=authenticator, auth_required=True)
    controller = Controller(Sink(args.dir, args.slow), hostname="127.0.0.1", port=port, **smtp)
    controller.start()
    print(f"ready {port}", flush=True)
    stop = [False]

    def on_term(*_):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not stop[0]:
        signal.pause()
    os._exit(0)  # every message is on disk already; a session held open (slow…@) must not delay the stop


if __name__ == "__main__":
    main()
