"""The demo (tools/demo.py, which scripts/demo runs) tells the registry
cache's story: a brand-new stack creates the cache, an edit on an engine
without its own build cache is served by it, a cleared repository is a
first build again that re-creates it, and nothing changed builds nothing.
Needs the Docker engine and registry of scripts/test-env."""

import json
import os
import re
import subprocess
import sys

import pytest

from stand_in import ROOT, install_python_sdk, registry, registry_tags


def test_the_demo_tells_the_cache_story(tmp_path):
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run `scripts/test-env up` and source its env file (scripts/test does)")
    sdk = install_python_sdk(tmp_path / "sdk")
    figures = tmp_path / "demo.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/demo.py"), "--registry", registry(), "--sdk", str(sdk), "--json", str(figures)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    demo = json.loads(figures.read_text())
    first, edit, cleared, unchanged = demo["steps"]

    assert first["built"] and first["cacheReport"]["found"] is False, first
    assert "no build cache at" in output.split("== 2.")[0], output

    assert edit["built"] and edit["cacheReport"]["found"] is True, edit
    assert edit["cacheReport"]["cachedSteps"] > 0, edit
    assert "faster than the first build" in output

    assert cleared["built"] and cleared["cacheReport"]["found"] is False, cleared
    assert "cache" in registry_tags(demo["repository"]), "the cleared cache is created again"
    section = output.split("== 3.")[1].split("== 4.")[0]
    assert "error" not in section.lower() and "warning" not in section.lower(), section

    assert not unchanged["built"], unchanged
    assert "no changes" in output.split("== 4.")[1]
    # Counts are whole numbers, however the wire carried them.
    assert re.search(r"\b\d+ of \d+ steps from the cache", output), output
    assert not re.search(r"\d\.0 of", output), output
