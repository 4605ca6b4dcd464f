"""YAML programs through the real Pulumi CLI and its YAML language host:
our example (examples/yaml), and programs nobody here wrote, the YAML
examples in the official provider's schema documentation (read from
shared/reference at test time, pointed at this plugin, with a small app of
ours to build). Each goes through up, a no-change preview and refresh, and
destroy."""

import json
import os
import pathlib
import re
import uuid

import pytest
import yaml

from pulumi_cli import ROOT, Stack, copy_program, edit_and_update, registry, registry_tags, require_environment, use_built_plugin

IMAGE = "docker-build:index:Image"
# The official examples that need nothing beyond this machine: no cloud
# account, no Docker Hub, no remote context or build service.
LOCAL_EXAMPLES = ["Caching", "Build arguments", "Build target", "Local export"]
# Every example builds `app`; this Dockerfile has what they ask for: a
# `build-me` stage for the target example, the build argument of the
# build-arguments one, a base image the engine already has.
APP_DOCKERFILE = """\
FROM busybox:local AS build-me
ARG SET_ME_TO_TRUE
RUN test "$SET_ME_TO_TRUE" = true || echo "not set" > /note
COPY hello.txt /hello.txt
"""


def shared_reference():
    shared = pathlib.Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
    schema = shared / "reference" / "pulumi-docker-build.schema.json"
    if not schema.is_file():
        pytest.fail(f"{schema} is missing: set SHARED_DIR to the shared/ directory")
    return json.loads(schema.read_text())


def official_examples():
    description = shared_reference()["resources"]["docker-build:index:Image"]["description"]
    programs = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", description, re.S)]
    return {program["description"]: program for program in programs}


def no_changes_round_trip(stack):
    stack.up()
    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")
    stack.up("--expect-no-changes")


@pytest.mark.parametrize("example", LOCAL_EXAMPLES)
def test_an_official_yaml_example_deploys_unchanged(example, tmp_path):
    require_environment()
    program = official_examples()[example]
    directory = tmp_path / "program"
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "Dockerfile").write_text(APP_DOCKERFILE)
    (directory / "app" / "hello.txt").write_text(f"hello {uuid.uuid4()}\n")
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    use_built_plugin(directory)
    stack = Stack(directory, tmp_path / "backend")

    no_changes_round_trip(stack)
    image = stack.resources(IMAGE)[0]
    assert image["outputs"]["contextHash"], image["outputs"]
    _, output = stack.destroy()
    assert stack.resources(IMAGE) == [], output


def test_the_yaml_example_deploys_updates_and_reports_its_cache(tmp_path):
    require_environment()
    program = copy_program(ROOT / "examples/yaml", tmp_path / "yaml")
    copy_program(ROOT / "examples/app", tmp_path / "app", plugin=False)
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    stack = Stack(program, tmp_path / "backend")
    repository = f"example-yaml-{uuid.uuid4().hex[:10]}"
    stack.config(registry=registry(), repository=repository)

    no_changes_round_trip(stack)
    outputs = stack.outputs()
    assert outputs["cacheReport"]["ref"] == f"{registry()}/{repository}:cache", outputs
    assert outputs["cacheReport"]["found"] is False, outputs
    assert outputs["ref"].startswith(f"{registry()}/{repository}:latest@sha256:"), outputs
    assert registry_tags(repository) == ["cache", "latest"]
    edit_and_update(stack, tmp_path / "app" / "greeting.txt")
    stack.destroy()
    assert stack.resources(IMAGE) == []


def test_secret_inputs_given_as_plain_text_are_secret_in_state(tmp_path):
    """A YAML program has no SDK to wrap its secret inputs: a registry
    password, a build secret and an S3 key given as plain text are still
    stored encrypted (Check marks what the schema marks
    secret, at every depth, as the official provider's Check does)."""
    require_environment()
    program = tmp_path / "program"
    program.mkdir()
    (program / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (program / "a").write_text(uuid.uuid4().hex)
    canaries = {name: f"{name}-{uuid.uuid4().hex}" for name in ("password", "build", "s3")}
    resources = {
        "img": {"type": "docker-build:index:Image", "properties": {
            "push": False, "exports": [{"cacheonly": {}}],
            "secrets": {"TOKEN": canaries["build"]},
            "registries": [{"address": "r.example", "username": "u", "password": canaries["password"]}],
            "cacheFrom": [{"disabled": True, "s3": {"bucket": "b", "region": "us-east-1", "accessKeyId": "a",
                                                    "secretAccessKey": canaries["s3"]}}],
        }},
    }
    (program / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "plain-secrets", "runtime": "yaml", "resources": resources}))
    use_built_plugin(program)
    stack = Stack(program, tmp_path / "backend")
    stack.up()
    state = json.dumps(stack.export())
    for name, canary in canaries.items():
        assert canary not in state, f"the {name} canary is in the state in plain text"
