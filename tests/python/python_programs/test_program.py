"""The Python example (examples/python), with the generated SDK, deployed
by the real Pulumi CLI through this provider, against the Docker engine and
registry of scripts/test-env: up, a no-op preview and refresh, an edit (an
update served by the registry cache), destroy, refresh after the tag is
deleted behind the stack's back, a secret from `pulumi config set
--secret`, and bad input shown by the CLI with its property path."""

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest

from pulumi_cli import ROOT, Stack, copy_program, did, install_python_sdk, is_secret, registry, require_environment, run_service

IMAGE = "docker-build:index:Image"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    return install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))


@pytest.fixture
def stack(tmp_path, sdk):
    """examples/python in a fresh stack, with its own copy of examples/app."""
    require_environment()
    program = copy_program(ROOT / "examples/python", tmp_path / "python")
    copy_program(ROOT / "examples/app", tmp_path / "app", plugin=False)
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    stack = Stack(program, tmp_path / "backend", env={"PYTHONPATH": str(sdk)})
    stack.config(registry=registry(), repository=f"program-{uuid.uuid4().hex[:12]}")
    return stack


MANIFESTS = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json"


def manifest_status(repository, reference, method="HEAD"):
    request = urllib.request.Request(f"http://{registry()}/v2/{repository}/manifests/{reference}", method=method, headers={"Accept": MANIFESTS})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_up_preview_refresh_edit_destroy(stack, tmp_path):
    _, output = stack.up()
    assert did(output, "+", IMAGE, "app", "created"), output
    assert "no build cache at" in output and "this build creates it" in output, output
    outputs = stack.outputs()
    first = outputs["digest"]
    repository = outputs["ref"].split("/", 1)[1].split(":")[0]
    assert outputs["ref"] == f"{registry()}/{repository}:latest@{first}", outputs
    assert outputs["cacheReport"]["ref"] == f"{registry()}/{repository}:cache", outputs
    assert outputs["cacheReport"]["found"] is False

    # Nothing changed: the CLI's own no-change checks hold.
    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")
    _, output = stack.up()
    assert "building" not in output and "updated" not in output, output

    # One file changes: an update (the context hash), the cache now found.
    (tmp_path / "app" / "greeting.txt").write_text(f"changed {uuid.uuid4()}\n")
    _, output = stack.preview()
    assert did(output, "~", IMAGE, "app", "update"), output
    assert "[diff: ~contextHash]" in output, output
    _, output = stack.up()
    assert did(output, "~", IMAGE, "app", "updated"), output
    outputs = stack.outputs()
    second = outputs["digest"]
    assert second != first
    assert outputs["cacheReport"]["found"] is True, outputs
    assert outputs["cacheReport"]["cachedSteps"] > 0, outputs
    # The real app runs: its dependencies, compiled from source, load.
    report = run_service(outputs["ref"])
    assert report["greeting"].startswith("changed ") and report["brotli"] > 0 and report["zstd"] > 0, report

    _, output = stack.destroy()
    assert did(output, "-", IMAGE, "app", "deleted"), output
    assert stack.resources(IMAGE) == []
    assert manifest_status(repository, second) == 404, "the digest is gone"

    # Deployed again, then the image is deleted behind the stack's back:
    # refresh drops it from state.
    stack.up()
    digest = stack.outputs()["digest"]
    assert manifest_status(repository, digest, method="DELETE") == 202
    _, output = stack.refresh()
    assert did(output, "-", IMAGE, "app", "deleted"), output
    assert stack.resources(IMAGE) == []


def test_a_config_secret_is_ciphertext_in_state(stack):
    """A build secret from `pulumi config set --secret` reaches the build
    and is stored only as ciphertext."""
    main = stack.program / "__main__.py"
    main.write_text(main.read_text().replace(
        'context=docker_build.BuildContextArgs(location="../app"),',
        'context=docker_build.BuildContextArgs(location="../app"),\n'
        '    secrets={"token": config.require_secret("token")},',
    ))
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    stack.secret("token", secret)
    _, output = stack.up()
    assert secret not in output
    deployment = stack.export()
    assert secret not in json.dumps(deployment), "the secret is stored in plain text"
    image = stack.resources(IMAGE)[0]
    assert is_secret(image["inputs"]["secrets"]) and is_secret(image["outputs"]["secrets"]), image
    stack.preview("--expect-no-changes")
    stack.destroy()


def test_bad_input_fails_preview_with_the_property_path(stack):
    main = stack.program / "__main__.py"
    main.write_text(main.read_text().replace('tags=[f"{registry}/{repository}:latest"]', 'tags=["Not A Tag"]'))
    code, output = stack.preview(check=False)
    assert code != 0
    # The CLI names the resource and the path; it shows the value of
    # top-level properties only (`{<nil>}` for a nested path), so the
    # message itself quotes it.
    failure = re.search(r"error: docker-build:index:Image resource 'app': property tags\[0\] value \{.*?\} has a problem: (.*)", output)
    assert failure, output
    assert "`Not A Tag`" in failure.group(1) and "lowercase" in failure.group(1), output


def test_up_with_refresh_rebuilds_a_tag_a_lifecycle_rule_deleted(stack):
    """pulumi-docker #593: a registry lifecycle rule deletes the image.
    `pulumi refresh` notices (as above); `pulumi up --refresh` notices and
    builds and pushes it again."""
    stack.up()
    outputs = stack.outputs()
    repository = outputs["ref"].split("/", 1)[1].split(":")[0]
    assert manifest_status(repository, outputs["digest"], method="DELETE") == 202
    assert manifest_status(repository, "latest") == 404

    _, output = stack.up("--refresh")
    assert did(output, "+", IMAGE, "app", "created"), output
    assert manifest_status(repository, "latest") == 200
    assert stack.outputs()["digest"] == outputs["digest"], "the same content, the same image"
    stack.preview("--expect-no-changes")
    stack.destroy()

