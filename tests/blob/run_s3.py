#!/usr/bin/python3
"""
The blob port's contract suite (tests/blob/contract_test.c) on S3: starts npm's s3rver on a
free loopback port with one bucket (tests/lib/services.py), runs the contract program against
it with s3rver's credentials, stops s3rver, and exits with the program's status (stage blob-s3
of tests/run).

    /usr/bin/python3 tests/blob/run_s3.py [BUILD_DIR]       (default: build)
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from services import S3rver  # noqa: E402


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    binary = os.path.join(ROOT, build, "tests", "blob", "blob_contract")
    root = tempfile.mkdtemp(prefix="erp-blob-s3-")
    s3 = S3rver(root)
    try:
        s3.start()
        env = dict(os.environ)
        env.pop("AWS_ACCESS_KEY_ID", None)
        env.pop("AWS_SECRET_ACCESS_KEY", None)
        env.update(s3.env())
        env["ERP_TEST_BLOB_URL"] = s3.url()
        rc = subprocess.call([binary], env=env)
    finally:
        s3.stop()
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
