"""A client no one here wrote (issue 11 item 16): schemathesis generates
requests for every operation of the OpenAPI document, as a tenant admin,
through every phase (examples, coverage, fuzzing, and stateful, which
follows the document's links from creating and listing operations to the
ones that use their ids), and runs every check: no server error, every
status, content type, header and body as the document says, ``Allow`` on
405s, authentication enforced, every request the schema forbids refused
(``negative_data_rejection``) and every request it allows accepted
(``positive_data_acceptance``) — except for a rule JSON Schema cannot say
(an unknown id, a foreign cursor, one time after another), and then only
with that rule's message (``schemathesis_hooks.py``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Api

BACKENDS = ("sqlite",)
HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def test_every_operation_answers_as_its_schema_says(api: Api, tmp_path: Path) -> None:
    st = Path(sys.executable).parent / "st"
    if not st.exists():
        pytest.fail("schemathesis is not installed (the test extras install it)")
    run = subprocess.run(
        [
            str(st),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{api.base_url}/openapi.json",
            "-H",
            f"Authorization: Bearer {api.tokens['admin']}",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "10",
            "--seed",
            "11",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
            "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
        },
    )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    print(summary[-3000:])
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    # It did test every operation of the document, with thousands of cases.
    operations = sum(
        1
        for methods in httpx.get(f"{api.base_url}/openapi.json", timeout=30)
        .json()["paths"]
        .values()
        for method in methods
        if method in {"get", "put", "post", "delete", "patch"}
    )
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert tested and int(tested.group(1)) == operations, summary
    assert cases and cases.group(1) == cases.group(2) and int(cases.group(1)) > 20 * operations
    # The stateful phase followed links: ids created or listed, then used.
    links = re.search(r"API Links:\s+(\d+) covered", run.stdout)
    assert links and int(links.group(1)) >= 5, run.stdout[-4000:]
