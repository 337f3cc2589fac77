#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/grafana/dashboards/ from the panel lists below.

    deploy/grafana/generate.py           rewrites the JSON files
    deploy/grafana/generate.py --check   exits 1 if a file differs from what it would write

Each panel is (title, unit, [(legend, PromQL), …]); queries use Grafana's $__rate_interval. Every
query is checked against a running topology's Prometheus by tests/topology/test_cluster.py.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # provisioning/datasources/prometheus.yml
R = "$__rate_interval"
API = 'job="school-erp"'
APPS = 'job=~"school-erp|school-erp-worker"'


def q(quantile, metric, by, sel=""):
    return f"histogram_quantile({quantile}, sum by ({by}, le) (rate({metric}_bucket{{{sel}}}[{R}])))"


DASHBOARDS = {
    "api": ("school-erp: API", [
        ("Requests per second by instance", "reqps",
         [("{{instance}}", f"sum by (instance) (rate(http_request_duration_seconds_count{{{API}}}[{R}]))")]),
        ("Requests per second by route", "reqps",
         [("{{method}} {{route}}", f"sum by (method, route) (rate(http_request_duration_seconds_count{{{API}}}[{R}]))")]),
        ("Error ratio (5xx)", "percentunit",
         [("5xx", f'(sum(rate(http_request_duration_seconds_count{{{API},code=~"5.."}}[{R}])) or vector(0))'
                  f" / sum(rate(http_request_duration_seconds_count{{{API}}}[{R}]))"),
          ("4xx", f'(sum(rate(http_request_duration_seconds_count{{{API},code=~"4.."}}[{R}])) or vector(0))'
                  f" / sum(rate(http_request_duration_seconds_count{{{API}}}[{R}]))")]),
        ("Latency p50 / p95 / p99, all routes", "s",
         [("p50", q(0.5, "http_request_duration_seconds", "job", API)),
          ("p95", q(0.95, "http_request_duration_seconds", "job", API)),
          ("p99", q(0.99, "http_request_duration_seconds", "job", API))]),
        ("Latency p50 by route", "s", [("{{route}}", q(0.5, "http_request_duration_seconds", "route", API))]),
        ("Latency p95 by route", "s", [("{{route}}", q(0.95, "http_request_duration_seconds", "route", API))]),
        ("Latency p99 by route", "s", [("{{route}}", q(0.99, "http_request_duration_seconds", "route", API))]),
        ("p95 by route (recorded, 5m)", "s", [("{{route}}", "job_route:http_request_duration_seconds:p95_5m")]),
        ("Requests in flight", "short", [("{{instance}}", f"sum by (instance) (http_requests_in_flight{{{API}}})")]),
        ("Handler pool", "short",
         [("busy {{instance}}", f"school_erp_handler_pool_busy{{{API}}}"),
          ("threads {{instance}}", f"school_erp_handler_pool_threads{{{API}}}"),
          ("waiting {{instance}}", f"school_erp_handler_pool_queue_depth{{{API}}}")]),
        ("Refused (503) per second", "reqps",
         [("shed {{instance}}", f"rate(school_erp_handler_pool_shed_total{{{API}}}[{R}])"),
          ("queue full {{instance}}", f"rate(school_erp_handler_pool_rejected_total{{{API}}}[{R}])")]),
        ("Answered on the event loop (cache)", "reqps",
         [("{{instance}}", f"rate(school_erp_loop_answered_total{{{API}}}[{R}])")]),
        ("nginx: requests and connections", "short",
         [("requests/s", f"rate(nginx_http_requests_total[{R}])"), ("active connections", "nginx_connections_active")]),
        ("Instances up", "short", [("{{job}} {{instance}}", f"up{{{APPS}}}")]),
    ]),
    "database": ("school-erp: database", [
        ("Statements per second by name (top 15)", "ops",
         [("{{statement}}", f"topk(15, sum by (statement) (rate(db_query_duration_seconds_count[{R}])))")]),
        ("Statements per second by target", "ops",
         [("{{target}}", f"sum by (target) (rate(db_query_duration_seconds_count[{R}]))")]),
        ("Statement latency p95 by name (top 15)", "s",
         [("{{statement}}", f"topk(15, {q(0.95, 'db_query_duration_seconds', 'statement')})")]),
        ("Statement latency p99 by target", "s", [("{{target}}", q(0.99, "db_query_duration_seconds", "target"))]),
        ("Statement errors per second", "ops",
         [("{{statement}}", f"sum by (statement) (rate(db_query_errors_total[{R}]))")]),
        ("Connections", "short",
         [("in use {{instance}}", "sum by (instance) (db_connections_in_use)"),
          ("open {{instance}}", "sum by (instance) (db_connections_open)")]),
        ("Replica lag (PostgreSQL)", "s", [("{{server}}", "pg_replica_lag_seconds")]),
        ("Replica used for reads", "short",
         [("up {{instance}}/{{replica}}", "db_replica_up"), ("fresh {{instance}}/{{replica}}", "db_replica_fresh")]),
        ("PostgreSQL transactions per second", "ops",
         [("{{server}} {{datname}}", f'sum by (server, datname) (rate(pg_stat_database_xact_commit{{datname="erp"}}[{R}]))')]),
        ("PostgreSQL backends", "short",
         [("{{server}} {{state}}", 'sum by (server, state) (pg_stat_activity_count{datname="erp"})')]),
        ("SQLite profile: free disk", "bytes",
         [("free {{instance}}", "school_erp_sqlite_disk_free_bytes"),
          ("database {{instance}}", "school_erp_sqlite_database_bytes")]),
    ]),
    "cache": ("school-erp: cache", [
        ("Hit ratio by level", "percentunit",
         [("{{level}}", f'sum by (level) (rate(school_erp_cache_requests_total{{result="hit"}}[{R}]))'
                        f" / sum by (level) (rate(school_erp_cache_requests_total[{R}]))")]),
        ("Lookups per second by level and result", "ops",
         [("{{level}} {{result}}", f"sum by (level, result) (rate(school_erp_cache_requests_total[{R}]))")]),
        ("Invalidations per second", "ops",
         [("{{scope}}", f"sum by (scope) (rate(school_erp_cache_invalidations_total[{R}]))")]),
        ("Errors and bypasses per second", "ops",
         [("errors {{level}}", f"sum by (level) (rate(school_erp_cache_errors_total[{R}]))"),
          ("bypassed", f"sum(rate(school_erp_cache_bypassed_total[{R}]))")]),
        ("Pending invalidations", "short", [("{{instance}}", "school_erp_cache_pending_invalidations")]),
        ("Redis command latency p95 / p99", "s",
         [("p95", q(0.95, "school_erp_redis_command_duration_seconds", "job")),
          ("p99", q(0.99, "school_erp_redis_command_duration_seconds", "job"))]),
        ("Redis reachable", "short",
         [("server", "redis_up"), ("client {{instance}}", "school_erp_redis_up")]),
        ("Redis commands per second and memory", "short",
         [("commands/s", f"sum(rate(redis_commands_processed_total[{R}]))"),
          ("memory bytes", "sum(redis_memory_used_bytes)")]),
    ]),
    "queue": ("school-erp: jobs", [
        ("Waiting jobs (depth)", "short", [("{{queue}}", "max by (queue) (school_erp_queue_depth)")]),
        ("Oldest waiting job", "s", [("{{queue}}", "max by (queue) (school_erp_queue_oldest_waiting_seconds)")]),
        ("Jobs by state", "short", [("{{queue}} {{state}}", "max by (queue, state) (school_erp_jobs)")]),
        ("Completed attempts per second by type", "ops",
         [("{{type}}", f'sum by (type) (rate(school_erp_job_attempts_total{{outcome="completed"}}[{R}]))')]),
        ("Failed attempts per second by type", "ops",
         [("{{type}}", f'sum by (type) (rate(school_erp_job_attempts_total{{outcome="failed"}}[{R}]))')]),
        ("Job duration p95 by type", "s", [("{{type}}", q(0.95, "school_erp_job_duration_seconds", "type"))]),
        ("Retries and stalls per second", "ops",
         [("retries {{queue}}", f"sum by (queue) (rate(school_erp_job_retries_total[{R}]))"),
          ("stalls {{queue}}", f"sum by (queue) (rate(school_erp_job_stalls_total[{R}]))")]),
        ("Workers up", "short", [("{{instance}}", 'up{job="school-erp-worker"}')]),
    ]),
    "process": ("school-erp: processes", [
        ("CPU (cores)", "short", [("{{job}} {{instance}}", f"rate(process_cpu_seconds_total{{{APPS}}}[{R}])")]),
        ("Resident memory", "bytes", [("{{job}} {{instance}}", f"process_resident_memory_bytes{{{APPS}}}")]),
        ("Open file descriptors", "short",
         [("{{job}} {{instance}}", f"process_open_fds{{{APPS}}}"),
          ("share of the limit {{instance}}", f"process_open_fds{{{APPS}}} / process_max_fds{{{APPS}}}")]),
        ("Uptime", "s", [("{{job}} {{instance}}", f"time() - process_start_time_seconds{{{APPS}}}")]),
        ("Build", "short", [("{{instance}} {{version}}", "school_erp_build_info")]),
    ]),
}


def panel(pid, title, unit, targets):
    return {
        "id": pid, "type": "timeseries", "title": title, "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12 * ((pid - 1) % 2), "y": 8 * ((pid - 1) // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
                    for i, (legend, expr) in enumerate(targets)],
    }


def dashboard(uid, title, panels):
    return {
        "uid": f"school-erp-{uid}", "title": title, "tags": ["school-erp"], "timezone": "utc",
        "schemaVersion": 37, "version": 1, "editable": True, "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"}, "templating": {"list": []}, "annotations": {"list": []},
        "panels": [panel(i + 1, *p) for i, p in enumerate(panels)],
    }


def render():
    return {f"{uid}.json": json.dumps(dashboard(uid, title, panels), indent=2) + "\n"
            for uid, (title, panels) in DASHBOARDS.items()}


def main():
    check = sys.argv[1:] == ["--check"]
    stale = []
    for name, text in render().items():
        path = os.path.join(HERE, "dashboards", name)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            stale.append(name)
            if not check:
                with open(path, "w") as f:
                    f.write(text)
    if check and stale:
        print(f"stale dashboards (run deploy/grafana/generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
