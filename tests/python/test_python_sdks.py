"""The same typed program (tests/python/programs/typed) deployed through
the stand-in engine with the generated SDK (sdk/python, pip-installed) and
with the official `pulumi-docker-build` 0.0.22 from PyPI, unchanged: the
drop-in claim, tested. Needs the Docker engine and registry of
scripts/test-env."""

import json
import os
import shutil
import uuid

import pytest

from stand_in import ROOT, engine, install_python_sdk, is_secret, registry, registry_tags, state, unmarked


@pytest.fixture(scope="session")
def generated_sdk(tmp_path_factory):
    return install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))


@pytest.fixture
def program(tmp_path):
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run `scripts/test-env up` and source its env file (scripts/test does)")
    copy = tmp_path / "program"
    shutil.copytree(ROOT / "tests/python/programs/typed", copy)
    (copy / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    return copy


@pytest.mark.parametrize("sdk", ["generated", "official"])
def test_a_typed_program_deploys_with_either_sdk(sdk, program, generated_sdk):
    env = {"PYTHONPATH": str(generated_sdk)} if sdk == "generated" else {}
    repository = f"typed-{sdk}-{uuid.uuid4().hex[:10]}"
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    config = ["--config", f"registry={registry()}", "--config", f"repository={repository}", "--config", f"token={secret}", "--config", "greeting=hi"]

    code, output = engine("up", program, *config, env=env)
    assert code == 0, output
    outputs = state(program)["outputs"]
    used = outputs["sdk"]
    assert used.startswith(str(generated_sdk)) == (sdk == "generated"), used
    assert outputs["ref"].startswith(f"{registry()}/{repository}:v1@sha256:"), outputs
    assert outputs["cacheTo"] == ["CacheTo", "CacheToRegistry", True], outputs
    assert outputs["buildArgs"] == {"GREETING": "hi"}
    assert registry_tags(repository) == ["buildcache", "v1"]

    # The build secret is in state only under the secret marker.
    resource = next(iter(state(program)["resources"].values()))
    assert is_secret(resource["outputs"]["secrets"]) and is_secret(resource["inputs"]["secrets"])
    assert secret not in json.dumps(unmarked(resource)), "the secret is stored unmarked"
    assert secret not in output, "the secret was printed"

    code, output = engine("up", program, *config, env=env)
    assert code == 0, output
    assert "no changes" in output, output

    code, output = engine("destroy", program, env=env)
    assert code == 0, output
    assert state(program)["resources"] == {}


def recorded(program, sdk_path, tmp_path, *config, name):
    """What `program` registers with the SDK at `sdk_path` (None: the
    official one), through the stand-in engine's --record mode."""
    env = {"PYTHONPATH": str(sdk_path)} if sdk_path else {}
    record = tmp_path / f"{name}.json"
    code, output = engine("up", program, "--record", str(record), *config, env=env)
    assert code == 0, output
    return json.loads(record.read_text())


@pytest.mark.parametrize("style", ["typed", "typed-dict"])
def test_both_sdks_register_identical_inputs(style, tmp_path, generated_sdk):
    """Args classes or plain dicts, Image and Index: the generated SDK puts
    exactly what the official one puts on the wire (schema defaults
    included), and its `config` module reads the provider's settings."""
    program = tmp_path / "program"
    shutil.copytree(ROOT / "tests/python/programs" / style, program)
    config = ["--config", "registry=r.example", "--config", "repository=app", "--config", "token=t",
              "--config", "password=pw", "--config", "docker-build:host=tcp://builder.example:2376"]
    ours = recorded(program, generated_sdk, tmp_path, *config, name="ours")
    official = recorded(program, None, tmp_path, *config, name="official")
    registered = [r for r in ours["registrations"] if r["type"].startswith("docker-build:")]
    assert registered, ours
    assert ours["registrations"] == official["registrations"]
    image = next(r for r in registered if r["type"] == "docker-build:index:Image")["object"]
    assert image["buildOnPreview"] is True and image["network"] == "default", image
    registry_cache = image["cacheTo"][0]["registry"]
    if style == "typed":
        assert registry_cache["compression"] == "gzip", "an Args class fills in its defaults"
    else:
        assert "compression" not in registry_cache, "a plain dict is sent as written"
        index = next(r for r in registered if r["type"] == "docker-build:index:Index")["object"]
        assert index["push"] is True
        assert ours["outputs"]["host"] == "tcp://builder.example:2376"
        assert ours["outputs"] == official["outputs"]
