"""A program with an Index over two per-platform Images, through the real
Pulumi CLI and the generated SDK: created after its sources, replaced when
its tag changes (the old index deleted first, as the provider asks), and
destroyed."""

import uuid

from pulumi_cli import ROOT, Stack, copy_program, did, install_python_sdk, manifest, registry, require_environment

INDEX = "docker-build:index:Index"


def test_an_index_is_created_replaced_and_destroyed(tmp_path):
    require_environment()
    sdk = install_python_sdk(tmp_path / "sdk")
    program = copy_program(ROOT / "tests/python/programs/index", tmp_path / "program")
    (program / "app" / "app.txt").write_text(f"{uuid.uuid4()}\n")
    stack = Stack(program, tmp_path / "backend", env={"PYTHONPATH": str(sdk)})
    repository = f"index-{uuid.uuid4().hex[:10]}"
    stack.config(registry=registry(), repository=repository)

    _, output = stack.up()
    assert did(output, "+", INDEX, "index", "created"), output
    index = manifest(repository, "multi")
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "386"]
    assert stack.outputs()["indexRef"].startswith(f"{registry()}/{repository}:multi@sha256:")

    stack.preview("--expect-no-changes")

    stack.config(indexTag="other")
    _, output = stack.up()
    assert did(output, "+-", INDEX, "index", "replaced"), output
    # Same content, so the same digest under both tags: the provider asks
    # for the old index to go first, so deleting it cannot take the new tag.
    assert manifest(repository, "other") is not None, output
    assert manifest(repository, "multi") is None, output

    _, output = stack.destroy()
    assert did(output, "-", INDEX, "index", "deleted"), output
    assert manifest(repository, "other") is None
    assert stack.resources(INDEX) == []
