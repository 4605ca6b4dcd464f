"""A real migration: a stack deployed by the official provider's own binary
(pulumi/pulumi-docker-build v0.0.22, built by scripts/go-tools from Go
modules), switched to this plugin by pointing Pulumi.yaml at it, as a user
would. It previews, refreshes and updates with no changes, and the first
edit after the switch, built on a builder whose cache was emptied (a fresh
CI runner), is served by the registry cache the official provider wrote.

Both providers build on the test fleet's BuildKit daemon (`dbt-remote-a`):
the official provider cannot use the engine's own `docker` driver. The
stack has no Index: the official provider reads an Index back over HTTPS
only, and the test registry speaks plain HTTP."""

import os
import pathlib
import subprocess
import uuid

import pytest
import yaml

from pulumi_cli import Stack, did, manifest, registry, require_environment, use_built_plugin
from test_build_fleet import fleet

IMAGE = "docker-build:index:Image"
BUILDER = "dbt-remote-a"


def official_provider():
    """The official provider's directory; fails (never skips) without it."""
    directory = os.environ.get("DOCKER_BUILD_OFFICIAL_PROVIDER")
    if not directory or not (pathlib.Path(directory) / "pulumi-resource-docker-build").is_file():
        pytest.fail("the official provider is not built: run `scripts/test-env up` (scripts/go-tools builds it) "
                    "and source its env file (scripts/test does)")
    return pathlib.Path(directory)


def written_by_official(stack):
    """Whether the Image's state is the official provider's: it stores a Go
    zero value for every input never given (`exec: false`, `target: ""`);
    this provider stores what was given."""
    outputs = stack.resources(IMAGE)[0]["outputs"]
    return outputs.get("exec") is False and outputs.get("target") == ""


def test_official_stack_switches_to_this_provider(tmp_path):
    require_environment()
    fleet()
    marker = uuid.uuid4().hex[:12]
    repository = f"{registry()}/migrate-{marker}"
    program = tmp_path / "program"
    app = program / "app"
    app.mkdir(parents=True)
    # The slow step comes before the COPY an edit changes, so a fresh
    # runner can take it from the registry cache.
    (app / "Dockerfile").write_text(
        f"FROM {registry()}/busybox:local\n"
        f"RUN echo {marker} > /marker && sleep 2\n"
        "COPY greeting.txt /greeting.txt\n"
    )
    (app / "greeting.txt").write_text(f"hello {marker}\n")
    resources = {
        "app": {"type": IMAGE, "properties": {
            "push": True, "tags": [f"{repository}:v1"], "context": {"location": "./app"},
            "builder": {"name": BUILDER}, "buildArgs": {"GREETING": "hello"}, "labels": {"org.example": f"migration {marker}"},
            "cacheFrom": [{"registry": {"ref": f"{repository}:cache"}}],
            "cacheTo": [{"registry": {"ref": f"{repository}:cache", "mode": "max"}}],
        }},
    }
    (program / "Pulumi.yaml").write_text(yaml.safe_dump(
        {"name": "migrate", "runtime": "yaml", "resources": resources,
         "outputs": {"ref": "${app.ref}"}}, sort_keys=False))

    # Deployed by the official provider.
    use_built_plugin(program, official_provider())
    stack = Stack(program, tmp_path / "backend")
    stack.up()
    assert written_by_official(stack), stack.resources(IMAGE)[0]["outputs"]
    official = stack.outputs()
    assert manifest(f"migrate-{marker}", "cache") is not None, "the official provider wrote the registry cache"

    # Switched to this provider: nothing to do, nothing rebuilt.
    use_built_plugin(program)
    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")
    stack.up("--expect-no-changes")
    assert stack.outputs() == official

    # The first edit, on a fresh runner, finds the official provider's cache.
    subprocess.run(["docker", "buildx", "prune", "--all", "--force", "--builder", BUILDER],
                   check=True, capture_output=True)
    (app / "greeting.txt").write_text(f"changed {marker}\n")
    _, output = stack.up()
    assert did(output, "~", IMAGE, "app", "updated"), output
    image = stack.resources(IMAGE)[0]["outputs"]
    report = image["cacheReport"]
    assert report["found"] is True and report["ref"] == f"{repository}:cache", report
    assert report["cachedSteps"] >= 1, f"the slow step came from the official provider's cache: {report}"
    assert stack.outputs()["ref"] != official["ref"], "a new digest"
    stack.destroy()
