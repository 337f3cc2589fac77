"""
The Prometheus rules of deploy/prometheus: `promtool check rules` accepts them, `promtool test
rules` passes every unit test under deploy/prometheus/tests, every alert has a test where it fires
and one where it stays silent, and every metric the rules read is one that something exports.
"""

import glob
import os
import re
import subprocess
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "deploy", "prometheus")
TESTS = sorted(glob.glob(os.path.join(RULES, "tests", "*.yml")))

# Metrics that come from elsewhere than school-erp's own /metrics: Prometheus itself, the exporters
# (Debian's prometheus-{postgres,redis,nginx}-exporter) and postgres-exporter-queries.yml.
FOREIGN = {"up", "redis_up", "pg_replica_lag_seconds"}


def promtool(*args):
    return subprocess.run(["promtool"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=os.path.join(RULES, "tests"), timeout=120)


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def rules(name):
    return [r for g in load(os.path.join(RULES, name))["groups"] for r in g["rules"]]


def exported_metrics():
    """Every metric family name school-erp's sources declare (metrics_family and table rows)."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "src", "**", "*.c"), recursive=True):
        with open(path, errors="replace") as f:
            text = f.read()
        names |= set(re.findall(r'metrics_family\(\s*\w+,\s*"([a-z_:]+)"', text))
        names |= set(re.findall(r'\{"((?:school_erp|http|db|process)_[a-z_]+)",', text))
    return names


class TestRules(unittest.TestCase):
    def test_check_rules(self):
        r = promtool("check", "rules", os.path.join(RULES, "alerts.yml"), os.path.join(RULES, "recording.yml"))
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_unit_tests_pass(self):
        self.assertGreaterEqual(len(TESTS), 4)
        for path in TESTS:
            with self.subTest(file=os.path.basename(path)):
                r = promtool("test", "rules", path)
                self.assertEqual(r.returncode, 0, r.stdout)

    def test_a_broken_expectation_fails(self):
        """promtool test rules is not vacuous: an expectation turned around fails."""
        doc = load(os.path.join(RULES, "tests", "api.yml"))
        case = doc["tests"][0]["alert_rule_test"][1]
        case["exp_alerts"] = []
        tmp = os.path.join(RULES, "tests", ".broken.yml.tmp")
        with open(tmp, "w") as f:
            yaml.safe_dump(doc, f)
        try:
            r = promtool("test", "rules", tmp)
        finally:
            os.unlink(tmp)
        self.assertNotEqual(r.returncode, 0, r.stdout)

    def test_every_alert_fires_and_stays_silent_in_some_test(self):
        fires, silent = set(), set()
        for path in TESTS:
            for t in load(path).get("tests", []):
                series = [s["series"] for s in t.get("input_series", [])]
                for case in t.get("alert_rule_test", []):
                    name, exp = case["alertname"], case.get("exp_alerts") or []
                    if exp:
                        fires.add(name)
                        # a series of the input whose instance (or queue, server) no expected alert names
                        named = {v for a in exp for k, v in a["exp_labels"].items() if k in ("instance", "server", "queue")}
                        if any(not any(f'"{v}"' in s for v in named) for s in series):
                            silent.add(name)
                    else:
                        silent.add(name)
        alerts = {r["alert"] for r in rules("alerts.yml")}
        self.assertEqual(alerts - fires, set(), "alerts no test makes fire")
        self.assertEqual(alerts - silent, set(), "alerts no test shows silent")
        self.assertIn("HighResponseTime", alerts)

    def test_the_original_alert_is_kept(self):
        rule = next(r for r in rules("alerts.yml") if r["alert"] == "HighResponseTime")
        self.assertEqual(rule["expr"], "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])) > 0.5")
        self.assertEqual(rule["for"], "5m")

    def test_rules_read_metrics_that_exist(self):
        exported = exported_metrics() | FOREIGN
        self.assertIn("http_request_duration_seconds", exported)
        recorded = {r["record"] for r in rules("recording.yml")}
        for r in rules("alerts.yml") + rules("recording.yml"):
            expr = r["expr"]
            for name in set(re.findall(r"\b([a-z_][a-z0-9_:]*)\s*(?:\{|\[|\)|\s|$|/|>|<|=)", expr)):
                if name in recorded or name in PROMQL_WORDS or ":" in name and name not in recorded:
                    continue
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                with self.subTest(rule=r.get("alert") or r.get("record"), metric=name):
                    self.assertTrue(name in exported or base in exported, f"{name} is exported by nothing")


PROMQL_WORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "max", "and", "or", "unless", "predict_linear",
                "le", "job", "route", "queue", "instance", "outcome", "code", "on", "ignoring", "without", "clamp_min"}

if __name__ == "__main__":
    unittest.main()
