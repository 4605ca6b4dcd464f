"""The Python example (examples/python), with the generated SDK, deployed
through the stand-in engine (tools/engine) and this provider, against the
Docker engine and registry of scripts/test-env: up, up again, a change,
refresh after the tag is deleted, destroy."""

import functools
import json
import os
import shutil
import urllib.error
import urllib.request
import uuid

import pytest

from stand_in import ROOT, install_python_sdk
from stand_in import engine as run_engine


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    return install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))


@pytest.fixture
def engine(sdk):
    return functools.partial(run_engine, env={"PYTHONPATH": str(sdk)})


@pytest.fixture
def program(tmp_path):
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run `scripts/test-env up` and source its env file (scripts/test does)")
    copy = tmp_path / "program"
    shutil.copytree(ROOT / "examples/python", copy, ignore=shutil.ignore_patterns(".stack-*.json"))
    shutil.copytree(ROOT / "examples/app", tmp_path / "app")
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    return copy


MANIFESTS = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json"


def manifest_status(registry, repository, reference, method="HEAD"):
    request = urllib.request.Request(f"http://{registry}/v2/{repository}/manifests/{reference}", method=method, headers={"Accept": MANIFESTS})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_up_twice_change_destroy_then_refresh_after_the_tag_is_deleted(program, engine):
    registry = os.environ.get("DOCKER_BUILD_TEST_REGISTRY", "127.0.0.1:5000")
    repository = f"program-{uuid.uuid4().hex[:12]}"
    config = ["--config", f"registry={registry}", "--config", f"repository={repository}"]
    code, output = engine("up", program, *config)
    assert code == 0, output
    assert "+ docker-build:index:Image app create" in output
    assert "no build cache at" in output and "this build creates it" in output
    outputs = json.loads((program / ".stack-dev.json").read_text())["outputs"]
    first = outputs["digest"]
    assert outputs["ref"] == f"{registry}/{repository}:latest@{first}", outputs
    assert outputs["cacheReport"]["ref"] == f"{registry}/{repository}:cache", outputs
    assert outputs["cacheReport"]["found"] is False

    # Again, unchanged: nothing is built, nothing changes.
    code, output = engine("up", program, *config)
    assert code == 0, output
    assert "no changes" in output
    assert " + " not in output and " ~ " not in output and "building" not in output, output

    # One file changes: one update, a new digest, the cache now found.
    (program.parent / "app" / "greeting.txt").write_text(f"changed {uuid.uuid4()}\n")
    code, output = engine("up", program, *config)
    assert code == 0, output
    assert "~ docker-build:index:Image app update (contextHash)" in output and "1 change(s)" in output, output
    outputs = json.loads((program / ".stack-dev.json").read_text())["outputs"]
    second = outputs["digest"]
    assert second != first
    assert outputs["cacheReport"]["found"] is True, outputs

    code, output = engine("destroy", program)
    assert code == 0, output
    assert "- docker-build:index:Image app delete" in output
    assert json.loads((program / ".stack-dev.json").read_text())["resources"] == {}
    assert manifest_status(registry, repository, second) == 404, "the digest is gone"

    # Deployed again, then the image is deleted behind the stack's back:
    # refresh drops it from state.
    code, output = engine("up", program, *config)
    assert code == 0, output
    digest = json.loads((program / ".stack-dev.json").read_text())["outputs"]["digest"]
    assert manifest_status(registry, repository, digest, method="DELETE") == 202
    code, output = engine("refresh", program)
    assert code == 0, output
    assert "- docker-build:index:Image app gone" in output, output
    assert json.loads((program / ".stack-dev.json").read_text())["resources"] == {}


def test_invalid_inputs_fail_the_program_with_the_property(program, engine):
    main = program / "__main__.py"
    main.write_text(main.read_text().replace('tags=[f"{registry}/{repository}:latest"]', 'tags=["Not A Tag"]'))
    code, output = engine("preview", program)
    assert code != 0
    assert "tags[0]" in output, output
