# Shared helpers for the benchmark scripts (sourced, not run).
# Every benchmark compares against a reference measured in the same run on the same machine.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=${BIN:-$ROOT/build/school-erp}
RESULTS=$BENCH_DIR/RESULTS.md
WORK=$(mktemp -d /tmp/school-erp-bench.XXXXXX)
chmod 755 "$WORK" # service accounts (postgres) must reach their directories
PIDS=()

# Stops what the benchmark started and removes its files; never fails (it runs under set -e, on exit).
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -f "$WORK/nginx.pid" ]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url
    for _ in $(seq 1 200); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.05
    done
    echo "bench: $1 did not come up" >&2
    return 1
}

# start_erp PORT [ENV=VALUE ...]: starts school-erp serve with access logs to a file
start_erp() {
    local port=$1
    shift
    env ERP_DATA_DIR="$WORK/erp-$port" "$@" "$BIN" migrate >"$WORK/erp-$port.migrate.log" 2>&1
    env ERP_LISTEN=127.0.0.1:$port ERP_DATA_DIR="$WORK/erp-$port" "$@" "$BIN" serve >"$WORK/erp-$port.log" 2>&1 &
    PIDS+=($!)
    wait_http "http://127.0.0.1:$port/healthz"
}

# nginx_start PORT WORKERS SERVER_LINES: nginx (access log on) with one server block on PORT holding SERVER_LINES
nginx_start() {
    local port=$1 workers=$2 lines=$3
    mkdir -p "$WORK/nginx"
    cat >"$WORK/nginx.conf" <<CONF
worker_processes $workers;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$port;
$lines
    }
}
CONF
    nginx -c "$WORK/nginx.conf"
}

# start_nginx PORT WORKERS: nginx answering /healthz and /version with static JSON bodies
start_nginx() {
    nginx_start "$1" "$2" "        location = /healthz { default_type application/json; return 200 '$(curl -s "$ERP_URL/healthz")'; }
        location = /api/v1/version { default_type application/json; return 200 '$(curl -s "$ERP_URL/api/v1/version")'; }"
    wait_http "http://127.0.0.1:$1/healthz"
}

# start_nginx_file PORT WORKERS FILE: nginx answering every path with FILE's bytes as application/json
start_nginx_file() {
    mkdir -p "$WORK/nginx-static"
    cp "$3" "$WORK/nginx-static/body.json"
    nginx_start "$1" "$2" "        root $WORK/nginx-static;
        location / { default_type application/json; try_files /body.json =404; }"
    wait_http "http://127.0.0.1:$1/x"
}

# wrk_run URL [extra wrk args]: prints "rps p50_ms p99_ms"
wrk_run() {
    local url=$1
    shift
    wrk -t1 -c64 -d"${BENCH_SECONDS:-10}"s --latency "$@" "$url" >"$WORK/wrk.out" 2>&1
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v
        }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad }
    ' "$WORK/wrk.out"
}

# replace_section NAME FILE: puts FILE's text between the markers of section NAME in RESULTS.md
replace_section() {
    local name=$1 file=$2
    [ -f "$RESULTS" ] || printf '# Benchmark results\n\nEach figure is a ratio against a reference measured in the same run on the same machine.\n' >"$RESULTS"
    /usr/bin/python3 - "$RESULTS" "$name" "$file" <<'PY'
import sys, re
path, name, src = sys.argv[1:4]
text = open(path).read()
body = open(src).read().rstrip() + "\n"
start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
block = f"{start}\n{body}{end}"
if start in text:
    text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda m: block, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
}

machine_line() {
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)."
}
