"""Helpers for tests that deploy real programs through the stand-in engine
(tools/engine/engine.py) and this provider."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/engine"))
from signatures import SECRET_SIG, SIG  # noqa: E402  (the path is set just above)


def registry():
    return os.environ.get("DOCKER_BUILD_TEST_REGISTRY", "127.0.0.1:5000")


def registry_tags(repository):
    """The tags of `repository` in the test registry, sorted."""
    with urllib.request.urlopen(f"http://{registry()}/v2/{repository}/tags/list") as response:
        return sorted(json.load(response)["tags"] or [])


def engine(command, program, *extra, env=None):
    """Runs one engine command; returns (exit code, everything it printed)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/engine/engine.py"), command, "--program", str(program), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, **(env or {})),
    )
    return result.returncode, result.stdout + result.stderr


def state(program, stack="dev"):
    return json.loads((pathlib.Path(program) / f".stack-{stack}.json").read_text())


def unmarked(value):
    """`value` with every secret-marked object blanked: what is stored in plain."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]"
        return {k: unmarked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value


def is_secret(value):
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def install_python_sdk(target):
    """pip-installs sdk/python (as generated) into `target`, for PYTHONPATH.
    It builds from a copy: setuptools writes build/ and *.egg-info next to
    the sources, which must stay as generated."""
    source = pathlib.Path(target) / "source"
    shutil.copytree(ROOT / "sdk/python", source)
    site = pathlib.Path(target) / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(source)],
        check=True,
    )
    return site
