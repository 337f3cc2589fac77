#!/usr/bin/env python3
"""Private service instances for the test suite, on loopback, never the system ones.

Used as a library by topology tests (PostgreSQL primaries and standbys they stop, pause and
promote) and as a command by tests/run, which starts one shared set for a whole run:

    tests/lib/services.py start DIR    prints shell exports (ERP_TEST_PG_URL, ERP_TEST_PG_SOCKET_DIR, ERP_TEST_REDIS_URL, …)
    tests/lib/services.py stop DIR     stops everything started for DIR

DIR only records what was started; the servers' own files live in a fresh directory under /tmp
that the postgres account can reach wherever the checkout is.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args, **kw):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _chown_postgres(path):
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class Postgres:
    """One PostgreSQL server (primary or standby) in its own directory and port."""

    def __init__(self, root, name="pg", port=None):
        self.root = os.path.abspath(root)
        self.dir = os.path.join(self.root, name)
        self.data = os.path.join(self.dir, "data")
        self.port = port or free_port()
        self.log = os.path.join(self.dir, "server.log")

    # -- life cycle --
    def init(self):
        os.makedirs(self.dir, exist_ok=True)
        _chown_postgres(self.root)
        _chown_postgres(self.dir)
        _as_postgres([f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                      "-E", "UTF8", "--locale=C.UTF-8"])
        self._configure()
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
        return self

    def _configure(self):
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"""
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.dir}'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
""")

    def start(self):
        _as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"])
        return self

    def stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                _as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])
            except subprocess.CalledProcessError:
                pass

    def standby(self, name):
        """A streaming standby of this server (pg_basebackup -R), not started yet."""
        sb = Postgres(self.root, name)
        os.makedirs(sb.dir, exist_ok=True)
        _chown_postgres(sb.dir)
        _as_postgres(["pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                      "-D", sb.data, "-R", "-X", "stream", "-c", "fast"])
        with open(os.path.join(sb.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"\nport = {sb.port}\nunix_socket_directories = '{sb.dir}'\n")
        return sb

    def promote(self):
        _as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-w", "-t", "60", "promote"])

    # -- use --
    def url(self, db="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql, db="postgres"):
        out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                              "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return out.stdout.strip()

    def create_db(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class Redis:
    """One redis-server on its own port and directory."""

    def __init__(self, root, name="redis", port=None, extra=()):
        self.dir = os.path.join(os.path.abspath(root), name)
        self.port = port or free_port()
        self.extra = list(extra)

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        subprocess.run(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                        "--save", "", "--appendonly", "no", "--daemonize", "yes",
                        "--pidfile", os.path.join(self.dir, "redis.pid"),
                        "--logfile", os.path.join(self.dir, "redis.log")] + self.extra, check=True)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith((b"+PONG", b"-NOAUTH")):  # -NOAUTH: up, with --requirepass
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis on {self.port} did not start")

    def stop(self):
        pidfile = os.path.join(self.dir, "redis.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                if _zombie(pid):  # exited, not reaped (no init process in a container)
                    break
                time.sleep(0.05)
        except (OSError, ValueError):
            pass

    def url(self):
        return f"redis://127.0.0.1:{self.port}"


def cluster_port():
    """A free loopback port whose cluster bus port (port + 10000) is free too.

    Both lie below the kernel's ephemeral range (32768 and up by default), so no
    outgoing connection takes either between this check and the node's bind."""
    import random
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(1000):
        port = random.randint(10000, max(10001, low - 10001))
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for a cluster node")


def redis_cli(port, *args, password=None, timeout=10):
    """Runs redis-cli against 127.0.0.1:port; its standard output, stripped."""
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)]
    if password:
        cmd += ["--no-auth-warning", "-a", password]
    out = subprocess.run(cmd + [str(a) for a in args], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=timeout)
    return out.stdout.strip()


class RedisCluster:
    """A Redis Cluster of `masters` masters with `replicas` replicas each, on loopback, in a temporary directory.

    Each node is a redis-server child of this process (no daemonizing), so stop() and kill() act on
    the process ids started here, never on a name."""

    def __init__(self, masters=3, replicas=1, node_timeout_ms=1000, extra=()):
        import tempfile
        self.root = tempfile.mkdtemp(prefix="erp-redis-cluster-")
        self.count = masters * (1 + replicas)
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.extra = list(extra)
        self.ports = []
        self.procs = {}  # port -> Popen

    def start(self):
        try:
            for _ in range(self.count):
                port = cluster_port()
                while port in self.ports:
                    port = cluster_port()
                self.ports.append(port)
                self._spawn(port)
            for i, port in enumerate(list(self.ports)):
                self.ports[i] = self._wait_started(port)
            subprocess.run(["redis-cli", "--cluster", "create"] + [f"127.0.0.1:{p}" for p in self.ports] +
                           ["--cluster-replicas", str(self.replicas), "--cluster-yes"],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
            self.wait_ok(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, port):
        d = os.path.join(self.root, str(port))
        os.makedirs(d, exist_ok=True)
        self.procs[port] = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
             "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
             "--cluster-node-timeout", str(self.node_timeout_ms), "--logfile", os.path.join(d, "redis.log")]
            + self.extra, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_started(self, port, tries=3):
        """The node's port once it answers; a node that exited at start (its port taken
        meanwhile) is started again on another port."""
        for attempt in range(tries):
            try:
                self._wait_ping(port)
                return port
            except RuntimeError:
                proc = self.procs.get(port)
                if attempt + 1 == tries or proc is None or proc.poll() is None:
                    raise
                del self.procs[port]
                fresh = cluster_port()
                while fresh in self.ports or fresh in self.procs:
                    fresh = cluster_port()
                self._spawn(fresh)
                port = fresh
        raise RuntimeError(f"redis cluster node {port} did not start")

    def _wait_ping(self, port, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if redis_cli(port, "PING", timeout=2) == "PONG":
                    return
            except (subprocess.SubprocessError, OSError):
                pass
            proc = self.procs.get(port)
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"redis cluster node {port} did not start: {self._log_tail(port)}")

    def _log_tail(self, port):
        try:
            with open(os.path.join(self.root, str(port), "redis.log")) as f:
                return " | ".join(f.read().strip().splitlines()[-3:])
        except OSError:
            return "no log"

    def alive(self):
        return [p for p in self.ports if self.procs.get(p) is not None and self.procs[p].poll() is None]

    def cli(self, port, *args):
        return redis_cli(port, *args)

    def state_ok(self, port):
        try:
            return "cluster_state:ok" in self.cli(port, "CLUSTER", "INFO")
        except (subprocess.SubprocessError, OSError):
            return False

    def wait_ok(self, timeout=30):
        """Waits until every live node says cluster_state:ok and every live replica's link to its master is up."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            ports = self.alive()
            if all(self.state_ok(p) for p in ports) and all(self._replica_synced(p) for p in ports):
                return
            time.sleep(0.1)
        raise RuntimeError("the redis cluster did not reach cluster_state:ok")

    def _replica_synced(self, port):
        try:
            info = self.cli(port, "INFO", "replication")
        except (subprocess.SubprocessError, OSError):
            return False
        return "role:master" in info or "master_link_status:up" in info

    def nodes(self, port=None):
        """CLUSTER NODES as seen by port (default: a live node): [{id, port, flags, master_id, slots}]."""
        out = []
        for line in self.cli(port or self.alive()[0], "CLUSTER", "NODES").splitlines():
            f = line.split()
            out.append({"id": f[0], "port": int(f[1].split("@")[0].rsplit(":", 1)[1]), "flags": f[2].split(","),
                        "master_id": f[3], "slots": f[8:]})
        return out

    def masters(self, port=None):
        """Ports of the nodes that port sees as live masters."""
        return [n["port"] for n in self.nodes(port) if "master" in n["flags"] and "fail" not in n["flags"]]

    def node_id(self, port):
        return self.cli(port, "CLUSTER", "MYID")

    def owner(self, key):
        """Port of the master that serves key's slot."""
        slot = int(self.cli(self.alive()[0], "CLUSTER", "KEYSLOT", key))
        for n in self.nodes():
            if "master" not in n["flags"] or "fail" in n["flags"]:
                continue
            for r in n["slots"]:
                if r.startswith("["):
                    continue
                lo, _, hi = r.partition("-")
                if int(lo) <= slot <= int(hi or lo):
                    return n["port"]
        return None

    def kill(self, port, sig=signal.SIGKILL):
        """Sends sig (kill -9 by default) to the node on port and waits for it to die."""
        proc = self.procs.get(port)
        if proc is not None and proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(timeout=10)

    def url(self, ports=None):
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in (ports or self.ports))

    def stop(self):
        for port, proc in self.procs.items():
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


class S3rver:
    """npm's s3rver (tests/tools) on its own port and directory, with one bucket; credentials S3RVER/S3RVER."""

    ACCESS_KEY = "S3RVER"
    SECRET_KEY = "S3RVER"

    def __init__(self, root, name="s3rver", port=None, bucket="erp-test"):
        self.dir = os.path.join(os.path.abspath(root), name)
        self.port = port or free_port()
        self.bucket = bucket
        self.proc = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        tools = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
        binary = os.path.join(tools, "node_modules", ".bin", "s3rver")
        if not os.path.exists(binary):
            raise RuntimeError(f"{binary} is missing: run npm ci in {tools}")
        with open(os.path.join(self.dir, "s3rver.log"), "ab") as log:
            self.proc = subprocess.Popen([binary, "-d", os.path.join(self.dir, "data"), "-a", "127.0.0.1",
                                          "-p", str(self.port), "--no-vhost-buckets", "--configure-bucket",
                                          self.bucket], stdout=log, stderr=subprocess.STDOUT)
        for _ in range(400):
            if self.proc.poll() is not None:
                raise RuntimeError(f"s3rver exited with {self.proc.returncode}; see {self.dir}/s3rver.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"s3rver on {self.port} did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def url(self):
        return f"s3://{self.bucket}?endpoint=http://127.0.0.1:{self.port}&region=us-east-1"

    def env(self):
        return {"ERP_BLOB_URL": self.url(), "ERP_S3_ACCESS_KEY": self.ACCESS_KEY, "ERP_S3_SECRET_KEY": self.SECRET_KEY}


def service_root():
    """A directory the postgres account can reach (a checkout under /root may not be), mode 0755."""
    import tempfile
    d = tempfile.mkdtemp(prefix="school-erp-services-")
    os.chmod(d, 0o755)
    return d


def shards_start(state, n):
    """Starts n independent PostgreSQL servers (the shards of tests/run's shard-pg stage) and prints
    ERP_TEST_SHARD_PG_URLS (comma-separated) and ERP_TEST_SHARD_PG_PORTS (space-separated)."""
    if os.path.exists(state):
        shutil.rmtree(state)
    os.makedirs(state)
    root = service_root()
    servers = []
    with open(os.path.join(state, "shards"), "w") as f:
        f.write(root + "\n")
        for i in range(n):
            pg = Postgres(root, name=f"shard{i + 2}").init().start()
            servers.append(pg)
            f.write(f"{pg.dir} {pg.port}\n")
            f.flush()
    print(f"export ERP_TEST_SHARD_PG_URLS='{','.join(pg.url() for pg in servers)}'")
    print(f"export ERP_TEST_SHARD_PG_PORTS='{' '.join(str(pg.port) for pg in servers)}'")


def shards_stop(state):
    try:
        lines = open(os.path.join(state, "shards")).read().split("\n")
    except OSError:
        return
    root = lines[0]
    for line in lines[1:]:
        if line.strip():
            d, port = line.split()
            Postgres(root, name=os.path.basename(d), port=int(port)).stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


class ShardCluster:
    """One shard of its own for a test: a PostgreSQL primary and (standby=True) a streaming standby in a fresh
    directory, one database on them, and the URL a server names in ERP_SHARDS: multi-host with
    target_session_attrs=read-write when there is a standby, so the server follows a promotion without a restart.
    fail_over() stops the primary (immediate) and promotes the standby; pause()/resume() stop and continue the
    primary's postmaster (SIGSTOP/SIGCONT of the process this class started), so new connections hang."""

    def __init__(self, name="shard", standby=True, db="erp"):
        import tempfile
        self.root = tempfile.mkdtemp(prefix=f"erp-{name}-")
        os.chmod(self.root, 0o755)
        self.db = db
        self.with_standby = standby
        self.primary = Postgres(self.root, "primary")
        self.standby = None

    def start(self):
        try:
            self.primary.init().start()
            self.primary.create_db(self.db)
            if self.with_standby:
                self.standby = self.primary.standby("standby").start()
                for _ in range(600):
                    if self.standby.psql("SELECT pg_is_in_recovery()", db=self.db) == "t":
                        break
                    time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def url(self):
        if self.standby is None:
            return self.primary.url(self.db)
        return (f"postgres://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}/{self.db}"
                "?target_session_attrs=read-write&connect_timeout=2")

    def caught_up(self, timeout=30):
        """Waits until the standby has replayed everything the primary has written so far."""
        target = self.primary.psql("SELECT pg_current_wal_insert_lsn()")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
                return
            time.sleep(0.05)
        raise RuntimeError("the standby did not catch up")

    def fail_over(self):
        self.primary.stop("immediate")
        self.standby.promote()

    def _postmaster(self):
        with open(os.path.join(self.primary.data, "postmaster.pid")) as f:
            return int(f.readline())

    def pause(self):
        os.kill(self._postmaster(), signal.SIGSTOP)

    def resume(self):
        os.kill(self._postmaster(), signal.SIGCONT)

    def stop(self):
        for pg in (self.standby, self.primary):
            if pg is not None:
                try:
                    self.resume()
                except (OSError, ValueError):
                    pass
                pg.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "start-shards":
        return shards_start(os.path.abspath(sys.argv[2]), int(sys.argv[3]))
    if len(sys.argv) == 3 and sys.argv[1] == "stop-shards":
        return shards_stop(os.path.abspath(sys.argv[2]))
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: services.py start|stop DIR\n       services.py start-shards DIR N | stop-shards DIR")
    cmd, state = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd == "start":
        if os.path.exists(state):
            shutil.rmtree(state)
        os.makedirs(state)
        root = service_root()
        pg = Postgres(root).init().start()
        redis = Redis(root).start()
        with open(os.path.join(state, "ports"), "w") as f:
            f.write(f"{pg.port} {redis.port} {root}\n")
        print(f"export ERP_TEST_PG_URL='{pg.url()}'")
        print(f"export ERP_TEST_PG_PORT={pg.port}")
        print(f"export ERP_TEST_PG_SOCKET_DIR='{pg.dir}'")  # the server's Unix socket, for clients on this host
        print(f"export ERP_TEST_REDIS_URL='{redis.url()}'")
    else:
        try:
            pg_port, redis_port, root = open(os.path.join(state, "ports")).read().split()
        except (OSError, ValueError):
            return
        Postgres(root, port=int(pg_port)).stop("immediate")
        Redis(root, port=int(redis_port)).stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
