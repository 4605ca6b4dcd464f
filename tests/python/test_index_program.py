"""A program with an Index over two per-platform Images, through the
stand-in engine and the generated SDK: created after its sources, replaced
when its tag changes (the old index deleted first, as the provider asks),
and destroyed."""

import functools
import json
import shutil
import urllib.error
import urllib.request
import uuid

import pytest

from stand_in import ROOT, install_python_sdk, registry, state
from stand_in import engine as run_engine

INDEXES = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    sdk = install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))
    return functools.partial(run_engine, env={"PYTHONPATH": str(sdk)})


def index_at(repository, reference):
    request = urllib.request.Request(f"http://{registry()}/v2/{repository}/manifests/{reference}", headers={"Accept": INDEXES})
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def test_an_index_is_created_replaced_and_destroyed(engine, tmp_path):
    program = tmp_path / "program"
    shutil.copytree(ROOT / "tests/python/programs/index", program)
    (program / "app" / "app.txt").write_text(f"{uuid.uuid4()}\n")
    repository = f"index-{uuid.uuid4().hex[:10]}"
    config = ["--config", f"registry={registry()}", "--config", f"repository={repository}"]

    code, output = engine("up", program, *config)
    assert code == 0, output
    assert "+ docker-build:index:Index index create" in output, output
    index = index_at(repository, "multi")
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "386"]
    assert state(program)["outputs"]["indexRef"].startswith(f"{registry()}/{repository}:multi@sha256:")

    code, output = engine("up", program, *config)
    assert code == 0 and "no changes" in output, output

    code, output = engine("up", program, *config, "--config", "indexTag=other")
    assert code == 0, output
    assert "+- docker-build:index:Index index replace (tag)" in output, output
    # Same content, so the same digest under both tags: the provider asks
    # for the old index to go first, so deleting it cannot take the new tag.
    assert index_at(repository, "other") is not None, output
    assert index_at(repository, "multi") is None, output

    code, output = engine("destroy", program)
    assert code == 0, output
    assert "- docker-build:index:Index index delete" in output, output
    assert index_at(repository, "other") is None
    assert state(program)["resources"] == {}
