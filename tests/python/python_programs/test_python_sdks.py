"""The same typed program (tests/python/programs/typed) deployed by the
real Pulumi CLI with the generated SDK (sdk/python, pip-installed) and
with the official `pulumi-docker-build` 0.0.22 from PyPI, unchanged: the
drop-in claim, tested. And what each SDK registers, as the engine logs it
(PULUMI_DEBUG_GRPC), is the same. Needs the Docker engine and registry of
scripts/test-env."""

import json
import os
import uuid

import pytest

from pulumi_cli import ROOT, Stack, copy_program, install_python_sdk, is_secret, registry, registry_tags, require_environment

IMAGE = "docker-build:index:Image"


@pytest.fixture(scope="session")
def generated_sdk(tmp_path_factory):
    return install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))


def sdk_env(sdk, generated_sdk):
    return {"PYTHONPATH": str(generated_sdk)} if sdk == "generated" else {}


@pytest.mark.parametrize("sdk", ["generated", "official"])
def test_a_typed_program_deploys_with_either_sdk(sdk, tmp_path, generated_sdk):
    require_environment()
    program = copy_program(ROOT / "tests/python/programs/typed", tmp_path / "program")
    (program / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    stack = Stack(program, tmp_path / "backend", env=sdk_env(sdk, generated_sdk))
    repository = f"typed-{sdk}-{uuid.uuid4().hex[:10]}"
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    stack.config(registry=registry(), repository=repository, greeting="hi")
    stack.secret("token", secret)

    _, output = stack.up()
    outputs = stack.outputs()
    used = outputs["sdk"]
    assert used.startswith(str(generated_sdk)) == (sdk == "generated"), used
    assert outputs["ref"].startswith(f"{registry()}/{repository}:v1@sha256:"), outputs
    assert outputs["cacheTo"] == ["CacheTo", "CacheToRegistry", True], outputs
    assert outputs["buildArgs"] == {"GREETING": "hi"}
    assert registry_tags(repository) == ["buildcache", "v1"]

    # The build secret is in state only as ciphertext.
    image = stack.resources(IMAGE)[0]
    assert is_secret(image["outputs"]["secrets"]) and is_secret(image["inputs"]["secrets"])
    assert secret not in json.dumps(stack.export()), "the secret is stored in plain text"
    assert secret not in output, "the secret was printed"

    stack.preview("--expect-no-changes")
    stack.destroy()
    assert stack.resources(IMAGE) == []


def registered(tmp_path, style, generated_sdk, sdk, repository):
    """What the program registers with `sdk` during a preview, from the
    engine's own gRPC log: each docker-build resource's type, name and
    inputs, and the stack's outputs."""
    program = copy_program(ROOT / "tests/python/programs" / style, tmp_path / sdk / "program")
    log = tmp_path / sdk / "grpc.json"
    stack = Stack(program, tmp_path / sdk / "backend", env=dict(sdk_env(sdk, generated_sdk), PULUMI_DEBUG_GRPC=str(log)))
    stack.config(registry=registry(), repository=repository, token="t", password="pw",
                 **{"docker-build:host": os.environ["DOCKER_HOST"]})
    stack.preview()
    resources, outputs = {}, None
    for line in log.read_text().splitlines():
        call = json.loads(line)
        if call.get("progress") != "request_started":
            continue
        request = call.get("request", {})
        if call["method"].endswith("/RegisterResource") and request["type"].startswith("docker-build:"):
            resources[(request["type"], request["name"])] = request.get("object", {})
        elif call["method"].endswith("/RegisterResourceOutputs"):
            outputs = request.get("outputs", {})
    return resources, outputs


@pytest.mark.parametrize("style", ["typed", "typed-dict"])
def test_both_sdks_register_identical_inputs(style, tmp_path, generated_sdk):
    """Args classes or plain dicts, Image and Index: the generated SDK puts
    exactly what the official one puts on the wire (schema defaults
    included), and its `config` module reads the provider's settings."""
    require_environment()
    repository = f"registered-{uuid.uuid4().hex[:10]}"
    ours, our_outputs = registered(tmp_path, style, generated_sdk, "generated", repository)
    official, official_outputs = registered(tmp_path, style, generated_sdk, "official", repository)
    assert ours, "nothing registered"
    assert ours == official
    image = next(value for (kind, _), value in ours.items() if kind == IMAGE)
    assert image["buildOnPreview"] is True and image["network"] == "default", image
    registry_cache = image["cacheTo"][0]["registry"]
    if style == "typed":
        assert registry_cache["compression"] == "gzip", "an Args class fills in its defaults"
    else:
        assert "compression" not in registry_cache, "a plain dict is sent as written"
        index = next(value for (kind, _), value in ours.items() if kind == "docker-build:index:Index")
        assert index["push"] is True
        assert our_outputs["host"] == os.environ["DOCKER_HOST"]
        assert our_outputs == official_outputs
