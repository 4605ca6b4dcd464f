"""The demo (tools/demo.py, which scripts/demo runs) tells the registry
cache's story through the Pulumi CLI: a brand-new stack creates the cache, an edit on an engine
without its own build cache is served by it, a cleared repository is a
first build again that re-creates it, and nothing changed builds nothing.
Needs the Docker engine and registry of scripts/test-env."""

import json
import re
import subprocess
import sys


from pulumi_cli import ROOT, install_python_sdk, plugin_directory, registry, registry_tags, require_environment


def test_the_demo_tells_the_cache_story(tmp_path):
    require_environment()
    sdk = install_python_sdk(tmp_path / "sdk")
    figures = tmp_path / "demo.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/demo.py"), "--registry", registry(), "--sdk", str(sdk), "--plugin", str(plugin_directory()), "--json", str(figures)],
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
    last = output.split("== 4.")[1]
    assert "2 unchanged" in last and "updated" not in last, last
    # Counts are whole numbers, however the wire carried them.
    assert re.search(r"\b\d+ of \d+ steps from the cache", output), output
    assert not re.search(r"\d\.0 of", output), output
