"""Explicit provider resources through the real Pulumi CLI: the provider is
configured from its own inputs (a secret registry password, autoCache
off) and serves the resources that name it; the others use the default
provider. Needs the Docker engine and registry of scripts/test-env."""

import json
import uuid

from pulumi_cli import ROOT, Stack, copy_program, install_python_sdk, is_secret, registry, registry_tags, require_environment


def test_an_explicit_provider_configures_the_images_that_name_it(tmp_path):
    require_environment()
    sdk = install_python_sdk(tmp_path / "sdk")
    program = copy_program(ROOT / "tests/python/programs/explicit-provider", tmp_path / "program")
    stack = Stack(program, tmp_path / "backend", env={"PYTHONPATH": str(sdk)})
    repository = f"explicit-{uuid.uuid4().hex[:10]}"
    password = f"pw-{uuid.uuid4().hex}"
    stack.config(registry=registry(), repository=repository)
    stack.secret("password", password)

    _, output = stack.up()
    assert registry_tags(f"{repository}-explicit") == ["v1"], "autoCache false on the explicit provider"
    assert registry_tags(f"{repository}-default") == ["cache", "v1"], "the default provider's automatic cache"
    explicit = next(r for r in stack.resources("docker-build:index:Image") if r["urn"].endswith("::explicit"))
    assert "pulumi:providers:docker-build::per-registry" in explicit["provider"], explicit
    provider = next(r for r in stack.resources("pulumi:providers:docker-build") if r["urn"].endswith("::per-registry"))
    assert is_secret(provider["inputs"]["registries"]), provider["inputs"]
    assert password not in json.dumps(stack.export()), "the registry password is stored in plain text"
    assert password not in output

    stack.preview("--expect-no-changes")
    stack.destroy()
    assert stack.resources("docker-build:index:Image") == []
