"""The demo (tools/demo.py, which scripts/demo runs) tells the registry
cache's story on the example service through the Pulumi CLI, in ECR's
shape as scripts/demo runs it: pushed to the ECR-shaped registry with a
token from the ECR API (moto) through the AWS default chain, nobody
running `docker login`. A brand-new stack creates the cache, an edit on an
engine without its own build cache is served by it (every step but the
edited one's), the same edit with the cache deleted builds from scratch
and re-creates it, and nothing changed builds nothing. Needs the
environment of scripts/test-env. Its times are the bench's (benches/app_story.rs),
not asserted here."""

import json
import os
import pathlib
import re
import subprocess
import sys


from pulumi_cli import ROOT, ecr_registry, install_python_sdk, moto, plugin_directory, registry_tags, require_environment


def docker_configs(home):
    """What the Docker CLI's configuration under `home` says, if anything."""
    config = pathlib.Path(home) / ".docker" / "config.json"
    return config.read_text() if config.exists() else ""


def test_the_demo_tells_the_cache_story_in_ecrs_shape(tmp_path):
    require_environment()
    sdk = install_python_sdk(tmp_path / "sdk")
    figures = tmp_path / "demo.json"
    host, login = ecr_registry()
    home = tmp_path / "home"
    home.mkdir()
    # A home of its own: no docker login from anywhere can help it.
    env = dict(os.environ, HOME=str(home))
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "DOCKER_CONFIG"):
        env.pop(variable, None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/demo.py"), "--registry", host, "--moto", moto(), "--sdk", str(sdk),
         "--plugin", str(plugin_directory()), "--json", str(figures)],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    demo = json.loads(figures.read_text())
    first, edit, cleared, unchanged = demo["steps"]
    assert "nobody runs `docker login`" in output.split("== 1.")[0], output
    assert host not in docker_configs(home), "nothing logged in to the registry"

    assert first["built"] and first["cacheReport"]["found"] is False, first
    assert first["cacheReport"]["ref"] == f"{host}/{demo['repository']}:cache", first
    assert "no build cache at" in output.split("== 2.")[0], output

    # Every step but the edited file's comes from the registry cache,
    # the compiled dependencies among them; step 2 says how many and how
    # much faster than the first build.
    report = edit["cacheReport"]
    assert edit["built"] and report["found"] is True, edit
    assert report["totalSteps"] >= 6 and report["cachedSteps"] >= report["totalSteps"] - 2, edit
    section = output.split("== 2.")[1].split("== 3.")[0]
    assert f"{report['cachedSteps']} of {report['totalSteps']} steps from the cache" in section, section
    assert re.search(r"\(\d+\.\dx faster than the first build\)", section), section

    assert cleared["built"] and cleared["cacheReport"]["found"] is False, cleared
    assert cleared["cacheReport"]["cachedSteps"] == 0, cleared
    assert "cache" in registry_tags(demo["repository"], host, login), "the cleared cache is created again"
    section = output.split("== 3.")[1].split("== 4.")[0]
    assert "error" not in section.lower() and "warning" not in section.lower(), section

    assert not unchanged["built"], unchanged
    last = output.split("== 4.")[1]
    assert "2 unchanged" in last and "updated" not in last, last
    assert re.search(r"The first build took [\d.]+ s; the edit on a fresh runner [\d.]+ s from the registry cache", last), last
    # Counts are whole numbers, however the wire carried them.
    assert not re.search(r"\d\.0 of", output), output
