"""Explicit provider resources through the stand-in engine: the provider is
configured from its own inputs and serves the resources that name it;
the others use the default provider. Needs the Docker engine and registry
of scripts/test-env."""

import json
import os
import shutil
import uuid

import pytest

from stand_in import ROOT, engine, install_python_sdk, registry, registry_tags, state, unmarked


@pytest.fixture(scope="module")
def generated_sdk(tmp_path_factory):
    return install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))


def test_an_explicit_provider_configures_the_images_that_name_it(tmp_path, generated_sdk):
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run `scripts/test-env up` and source its env file (scripts/test does)")
    program = tmp_path / "program"
    shutil.copytree(ROOT / "tests/python/programs/explicit-provider", program)
    repository = f"explicit-{uuid.uuid4().hex[:10]}"
    password = f"pw-{uuid.uuid4().hex}"
    config = ["--config", f"registry={registry()}", "--config", f"repository={repository}", "--config", f"password={password}"]
    env = {"PYTHONPATH": str(generated_sdk)}

    code, output = engine("up", program, *config, env=env)
    assert code == 0, output
    assert registry_tags(f"{repository}-explicit") == ["v1"], "autoCache false on the explicit provider"
    assert registry_tags(f"{repository}-default") == ["cache", "v1"], "the default provider's automatic cache"
    resources = state(program)["resources"]
    explicit = next(r for u, r in resources.items() if u.endswith("::explicit"))
    assert "pulumi:providers:docker-build::per-registry" in explicit["provider"]
    provider = next(r for r in resources.values() if r["type"] == "pulumi:providers:docker-build")
    assert password not in json.dumps(unmarked(provider)), "the registry password stays secret"
    assert password not in output

    code, output = engine("up", program, *config, env=env)
    assert code == 0, output
    assert "no changes" in output, output

    code, output = engine("destroy", program, *config, env=env)
    assert code == 0, output
    assert state(program)["resources"] == {}
