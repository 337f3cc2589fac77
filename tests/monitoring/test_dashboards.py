"""
The Grafana files of deploy/grafana: the dashboards are what generate.py writes, each is a
well-formed dashboard whose panels all query the provisioned Prometheus datasource, and the
provisioning files name that datasource and the dashboards' folder. (That every query parses and
has data is checked against a running topology by tests/topology/test_cluster.py.)
"""

import glob
import json
import os
import subprocess
import sys
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GRAFANA = os.path.join(ROOT, "deploy", "grafana")
DASHBOARDS = sorted(glob.glob(os.path.join(GRAFANA, "dashboards", "*.json")))


def load_yaml(*parts):
    with open(os.path.join(GRAFANA, "provisioning", *parts)) as f:
        return yaml.safe_load(f)


class TestDashboards(unittest.TestCase):
    def test_dashboards_are_generated(self):
        r = subprocess.run([sys.executable, os.path.join(GRAFANA, "generate.py"), "--check"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_the_five_dashboards(self):
        names = {os.path.basename(p) for p in DASHBOARDS}
        self.assertEqual(names, {"api.json", "database.json", "cache.json", "queue.json", "process.json"})

    def test_datasource_is_provisioned(self):
        ds = load_yaml("datasources", "prometheus.yml")
        self.assertEqual(ds["apiVersion"], 1)
        (source,) = ds["datasources"]
        self.assertEqual((source["type"], source["uid"]), ("prometheus", "prometheus"))
        self.assertTrue(source["url"])

    def test_dashboards_are_provisioned(self):
        prov = load_yaml("dashboards", "school-erp.yml")
        (provider,) = prov["providers"]
        self.assertEqual(provider["type"], "file")
        self.assertTrue(provider["options"]["path"].startswith("/"))

    def test_each_dashboard_is_well_formed(self):
        uids = set()
        for path in DASHBOARDS:
            with open(path) as f:
                d = json.load(f)
            with self.subTest(dashboard=os.path.basename(path)):
                self.assertNotIn(d["uid"], uids)
                uids.add(d["uid"])
                self.assertLessEqual(len(d["uid"]), 40, "Grafana's limit for a uid")
                self.assertTrue(d["title"])
                ids = [p["id"] for p in d["panels"]]
                self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
                self.assertGreaterEqual(len(ids), 5)
                for p in d["panels"]:
                    self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "prometheus"})
                    self.assertEqual(set(p["gridPos"]), {"h", "w", "x", "y"})
                    self.assertTrue(p["targets"], p["title"])
                    refs = [t["refId"] for t in p["targets"]]
                    self.assertEqual(len(refs), len(set(refs)))
                    for t in p["targets"]:
                        self.assertTrue(t["expr"].strip())
                        self.assertEqual(t["expr"].count("("), t["expr"].count(")"), t["expr"])

    def test_api_dashboard_has_what_the_design_asks(self):
        with open(os.path.join(GRAFANA, "dashboards", "api.json")) as f:
            exprs = " ".join(t["expr"] for p in json.load(f)["panels"] for t in p["targets"])
        for needle in ("histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,",
                       "sum by (route, le)", 'code=~"5.."', "http_requests_in_flight", "school_erp_handler_pool_busy"):
            self.assertIn(needle, exprs)


if __name__ == "__main__":
    unittest.main()
