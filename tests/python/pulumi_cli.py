"""Helpers for tests that deploy real programs with the real Pulumi CLI
(built by scripts/test-env from Go modules) and this provider.

Each `Stack` has its own file backend under the test's temporary
directory, so tests never see each other's stacks; the program directory
is a copy whose Pulumi.yaml names the plugin built by `cargo build`
(`plugins.providers[].path`), so the CLI runs exactly that binary."""

import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PASSPHRASE = "pulumi-cli-tests"


def registry():
    return os.environ.get("DOCKER_BUILD_TEST_REGISTRY", "127.0.0.1:5000")


def ecr_registry():
    """The test environment's ECR-shaped registry and its login (user
    `AWS` and the token moto hands out)."""
    return os.environ["DOCKER_BUILD_TEST_ECR_REGISTRY"], ("AWS", os.environ["DOCKER_BUILD_TEST_ECR_PASSWORD"])


def registry_tags(repository, address=None, login=None):
    """The tags of `repository` in the registry at `address` (the test
    registry by default; `login` a (user, password) pair for one that
    wants it), sorted; none for a repository it does not know."""
    headers = {}
    if login:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()
    request = urllib.request.Request(f"http://{address or registry()}/v2/{repository}/tags/list", headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return sorted(json.load(response)["tags"] or [])
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return []
        raise


def moto():
    """The test environment's moto (the ECR API and S3 stand-in)."""
    return os.environ["DOCKER_BUILD_TEST_MOTO"]


def s3_bucket(prefix):
    """A new bucket in moto's S3 (moto takes unsigned requests)."""
    bucket = f"{prefix}-{uuid.uuid4().hex[:12]}"
    request = urllib.request.Request(f"{moto()}/{bucket}", method="PUT")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    return bucket


MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
])


def manifest(repository, reference):
    """The manifest (or index) at `repository:reference` in the test
    registry, or None when there is none."""
    request = urllib.request.Request(f"http://{registry()}/v2/{repository}/manifests/{reference}",
                                     headers={"Accept": MANIFEST_TYPES})
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def plugin_directory():
    """Where `cargo build` put the plugin; tests never build it themselves."""
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "debug" / "pulumi-resource-docker-build"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build` first (scripts/test does)")
    return binary.parent


def require_environment():
    """Fails (never skips) when scripts/test-env has not been sourced."""
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run `scripts/test-env up` and source its env file (scripts/test does)")
    if not shutil.which("pulumi"):
        pytest.fail("the Pulumi CLI is not on PATH: run `scripts/test-env up` and source its env file (scripts/test does)")


def use_built_plugin(program, directory=None):
    """Points the program's Pulumi.yaml at the plugin cargo built."""
    project_file = pathlib.Path(program) / "Pulumi.yaml"
    project = yaml.safe_load(project_file.read_text())
    project.setdefault("plugins", {})["providers"] = [
        {"name": "docker-build", "path": str(directory or plugin_directory())}
    ]
    project_file.write_text(yaml.safe_dump(project, sort_keys=False))


def copy_program(source, destination, *, plugin=True):
    """A copy of the program at `source` (no stack files, no caches),
    using the built plugin unless `plugin` is False."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("Pulumi.*.yaml", "__pycache__", "node_modules", "bin"))
    if plugin:
        use_built_plugin(destination)
    return pathlib.Path(destination)


class Stack:
    """One stack of one program in a private file backend."""

    def __init__(self, program, backend, name="dev", env=None):
        self.program = pathlib.Path(program)
        self.name = name
        backend = pathlib.Path(backend)
        backend.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            os.environ,
            PULUMI_BACKEND_URL=f"file://{backend}",
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            **(env or {}),
        )
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        self.run("stack", "init", name, check=True)

    def run(self, *args, check=False, timeout=900, env=None):
        """`pulumi <args>` in the program; returns (exit code, output)."""
        result = subprocess.run(
            ["pulumi", *args, "--cwd", str(self.program), "--non-interactive", "--color", "never"],
            capture_output=True, text=True, timeout=timeout, env=dict(self.env, **(env or {})),
            stdin=subprocess.DEVNULL,
        )
        output = result.stdout + result.stderr
        if check:
            assert result.returncode == 0, f"pulumi {' '.join(args)} failed:\n{output}"
        return result.returncode, output

    def config(self, **values):
        """`pulumi config set` each; a provider's keys as `**{"docker-build:host": ...}`."""
        for key, value in values.items():
            self.run("config", "set", "--stack", self.name, key, str(value), check=True)

    def secret(self, key, value):
        self.run("config", "set", "--stack", self.name, "--secret", key, value, check=True)

    def up(self, *extra, check=True):
        return self.run("up", "--stack", self.name, "--yes", "--skip-preview", *extra, check=check)

    def preview(self, *extra, check=True):
        return self.run("preview", "--stack", self.name, *extra, check=check)

    def refresh(self, *extra, check=True):
        return self.run("refresh", "--stack", self.name, "--yes", "--skip-preview", *extra, check=check)

    def destroy(self, *extra, check=True):
        return self.run("destroy", "--stack", self.name, "--yes", "--skip-preview", *extra, check=check)

    def outputs(self):
        _, output = self.run("stack", "output", "--stack", self.name, "--json", "--show-secrets", check=True)
        return json.loads(output[output.index("{"):])

    def export(self):
        """The stack's deployment as `pulumi stack export` writes it."""
        _, output = self.run("stack", "export", "--stack", self.name, check=True)
        return json.loads(output[output.index("{"):])

    def resources(self, type_token=None):
        resources = self.export()["deployment"].get("resources") or []
        return [r for r in resources if type_token is None or r["type"] == type_token]


# Pulumi's wire signatures (the provider's own copy is `wire::sig` in
# src/wire/value.rs): the key that marks a special value, and a secret's.
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def is_secret(value):
    """A value the CLI stored encrypted in a deployment."""
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


def did(output, symbol, type_token, name, verb):
    """Whether the CLI's output shows the resource step, as in
    ` +  docker-build:index:Image app created (4s)`."""
    pattern = rf"^\s*{re.escape(symbol)}\s+{re.escape(type_token)}\s+{re.escape(name)}\s+{re.escape(verb)}\b"
    return re.search(pattern, output, re.MULTILINE) is not None


def run_service(ref):
    """What the example service (examples/app) prints when its image,
    pulled from the registry, runs: its report, as a dict."""
    result = subprocess.run(["docker", "run", "--rm", "--network", "none", ref], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def edit_and_update(stack, greeting):
    """Changes the example service's `greeting` file and runs `up`: an
    update of the Image `app` whose unchanged steps (the compiled
    dependencies among them) the registry cache serves; the pushed image
    runs and says the new greeting."""
    text = f"changed {greeting.stat().st_mtime_ns}"
    greeting.write_text(text + "\n")
    _, output = stack.up()
    assert did(output, "~", "docker-build:index:Image", "app", "updated"), output
    outputs = stack.outputs()
    assert outputs["cacheReport"]["found"] is True, output
    assert outputs["cacheReport"]["cachedSteps"] > 0, outputs
    report = run_service(outputs["ref"])
    assert report["greeting"] == text and report["zstd"] > 0, report

