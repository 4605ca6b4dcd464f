"""The Go example (examples/go) with the Go SDK made by Pulumi's codegen
(sdk/go), deployed by the real Pulumi CLI and its Go language host (which
builds the program with `go build`): up, a no-change preview and refresh,
an edit, destroy."""

import subprocess
import uuid

from pulumi_cli import ROOT, Stack, copy_program, did, edit_and_update, registry, registry_tags, require_environment

IMAGE = "docker-build:index:Image"


def test_the_go_example_deploys_updates_and_destroys(tmp_path):
    require_environment()
    program = copy_program(ROOT / "examples/go", tmp_path / "go")
    # The copy points its replace directive back at this repository's SDK.
    subprocess.run(["go", "mod", "edit", "-replace", f"github.com/pulumi/pulumi-docker-build/sdk={ROOT / 'sdk'}"],
                   cwd=program, check=True)
    copy_program(ROOT / "examples/app", tmp_path / "app", plugin=False)
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    stack = Stack(program, tmp_path / "backend")
    repository = f"example-go-{uuid.uuid4().hex[:10]}"
    stack.config(registry=registry(), repository=repository)

    _, output = stack.up()
    assert did(output, "+", IMAGE, "app", "created"), output
    outputs = stack.outputs()
    assert outputs["ref"].startswith(f"{registry()}/{repository}:latest@sha256:"), outputs
    report = outputs["cacheReport"]
    assert report["ref"] == f"{registry()}/{repository}:cache" and report["found"] is False, outputs
    assert registry_tags(repository) == ["cache", "latest"]
    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")

    edit_and_update(stack, tmp_path / "app" / "greeting.txt")

    stack.destroy()
    assert stack.resources(IMAGE) == []
