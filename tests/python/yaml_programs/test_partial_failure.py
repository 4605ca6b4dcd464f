"""A partial failure through the real Pulumi CLI: every platform of an
image is pushed, then the registry refuses the index under the image's tag.
The provider answers with the state so far (Pulumi's partial-state
convention), so the stack records the image instead of forgetting what is
in the registry, and the next `pulumi up` finishes the job."""

import uuid

import pytest

from failing_registry import FailingRegistry
from pulumi_cli import Stack, registry, registry_tags, require_environment, use_built_plugin

IMAGE = "docker-build:index:Image"


@pytest.fixture
def failing():
    repository = f"partial-{uuid.uuid4().hex[:10]}"
    proxy = FailingRegistry(registry(), repository, "v1")
    proxy.repository = repository
    yield proxy
    proxy.close()


def test_an_image_pushed_before_a_failed_join_is_recorded_and_finished_next_time(tmp_path, failing):
    require_environment()
    directory = tmp_path / "program"
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "Dockerfile").write_text("FROM scratch\nCOPY app.txt /\n")
    (directory / "app" / "app.txt").write_text(f"{uuid.uuid4()}\n")
    tag = f"{failing.address}/{failing.repository}:v1"
    (directory / "Pulumi.yaml").write_text(
        "name: partial\nruntime: yaml\nresources:\n  app:\n    type: docker-build:Image\n    properties:\n"
        f"      push: true\n      tags: [\"{tag}\"]\n      platforms: [plan9/amd64, plan9/386]\n"
        "      context:\n        location: app\n"
    )
    use_built_plugin(directory)
    stack = Stack(directory, tmp_path / "backend")

    code, output = stack.up(check=False)
    assert code != 0, output
    assert failing.refusals > 0, output
    assert "what was pushed so far is recorded in the stack" in output, output
    pushed = registry_tags(failing.repository, failing.address)
    assert "v1-plan9-amd64" in pushed and "v1-plan9-386" in pushed and "v1" not in pushed, pushed
    image = stack.resources(IMAGE)
    assert len(image) == 1, "the pushed image was forgotten"
    assert image[0].get("initErrors"), image[0]
    assert image[0]["outputs"]["cacheReport"]["ref"].endswith(":cache-plan9-amd64"), image[0]["outputs"]

    failing.failing = False
    _, output = stack.up()
    assert "v1" in registry_tags(failing.repository, failing.address)
    image = stack.resources(IMAGE)[0]
    assert not image.get("initErrors"), image
    assert image["outputs"]["digest"].startswith("sha256:"), image["outputs"]
    stack.preview("--expect-no-changes")
    stack.destroy()
