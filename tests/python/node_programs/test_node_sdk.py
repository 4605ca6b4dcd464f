"""The generated Node.js SDK (sdk/nodejs): compiled with tsc (type
declarations included), then a typed TypeScript program and the TypeScript
example (examples/typescript), compiled against those declarations, run
by the real Pulumi CLI and its Node.js language host. Needs the
Docker engine, registry and Node packages of scripts/test-env."""

import json
import os
import pathlib
import shutil
import subprocess
import uuid

import pytest

from pulumi_cli import ROOT, Stack, copy_program, edit_and_update, is_secret, registry, registry_tags, require_environment


def node_modules():
    path = os.environ.get("DOCKER_BUILD_TEST_NODE_MODULES")
    if not path or not (pathlib.Path(path) / "@pulumi" / "pulumi").is_dir():
        pytest.fail("DOCKER_BUILD_TEST_NODE_MODULES is not set up: run `scripts/test-env up` and source its env file (scripts/test does)")
    return pathlib.Path(path)


def tsc(directory):
    return subprocess.run([str(node_modules() / ".bin" / "tsc"), "-p", "."], cwd=directory, capture_output=True, text=True)


@pytest.fixture(scope="module")
def built_sdk(tmp_path_factory):
    sdk = tmp_path_factory.mktemp("node-sdk") / "docker-build"
    shutil.copytree(ROOT / "sdk/nodejs", sdk)
    (sdk / "node_modules").symlink_to(node_modules())
    result = tsc(sdk)
    assert result.returncode == 0, result.stdout + result.stderr
    # Published as Pulumi's provider builds publish it: the compiled bin/
    # with package.json beside it is the package.
    shutil.copy(sdk / "package.json", sdk / "bin" / "package.json")
    return sdk / "bin"


def program_from(source, tmp_path, sdk):
    """A copy of `source` with node_modules holding @pulumi/pulumi and the
    built SDK as @pulumi/docker-build, compiled with tsc."""
    program = tmp_path / "program"
    copy_program(source, program)
    modules = program / "node_modules"
    (modules / "@pulumi").mkdir(parents=True)
    (modules / "@types").mkdir()
    (modules / "@pulumi" / "pulumi").symlink_to(node_modules() / "@pulumi" / "pulumi")
    (modules / "@pulumi" / "docker-build").symlink_to(sdk)
    (modules / "@types" / "node").symlink_to(node_modules() / "@types" / "node")
    return program


def test_the_sdk_compiles_with_type_declarations(built_sdk):
    for name in ["index", "image", "provider", "types/input", "types/output", "types/enums/index"]:
        assert (built_sdk / f"{name}.js").is_file(), name
        assert (built_sdk / f"{name}.d.ts").is_file(), name
    package = json.loads((built_sdk / "package.json").read_text())
    assert package["pulumi"] == {"resource": True, "name": "docker-build", "version": package["version"]}
    declarations = (built_sdk / "image.d.ts").read_text()
    assert "readonly cacheReport: pulumi.Output<outputs.CacheReport | undefined>;" in declarations


def test_the_sdk_exports_every_name_of_the_official_one(built_sdk):
    """`@pulumi/docker-build` 0.0.22's runtime exports (resources, enums,
    `config`, `types` and their members, the `...ProvideDefaults`
    functions) all exist in the generated SDK, which also registers its
    resources for rehydration."""
    official = node_modules() / "@pulumi" / "docker-build"
    script = f"""
const ours = require({json.dumps(str(built_sdk / "index.js"))});
const official = require({json.dumps(str(official))});
const missing = (a, b) => Object.keys(b).filter((k) => !(k in a));
const pulumi = require({json.dumps(str(node_modules() / "@pulumi" / "pulumi"))});
console.log(JSON.stringify({{
    top: missing(ours, official),
    config: missing(ours.config, official.config),
    types: missing(ours.types, official.types),
    input: missing(ours.types.input, official.types.input),
    enums: missing(ours.types.enums, official.types.enums),
    exported: Object.keys(official).length,
}}));
"""
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, env=dict(os.environ, DOCKER_HOST="tcp://h:1"))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["exported"] >= 8, found
    assert found == {"top": [], "config": [], "types": [], "input": [], "enums": [], "exported": found["exported"]}, found
    index = (built_sdk / "index.js").read_text()
    assert "registerResourceModule" in index and "registerResourcePackage" in index


def test_a_wrongly_typed_program_fails_to_compile(built_sdk, tmp_path):
    program = program_from(ROOT / "tests/python/programs/typed-ts", tmp_path, built_sdk)
    index = program / "index.ts"
    index.write_text(index.read_text().replace("push: true,", "push: \"yes\",").replace("dockerBuild.CacheMode.Max", "\"maximum\""))
    result = tsc(program)
    assert result.returncode != 0
    push_line = next(i for i, line in enumerate(index.read_text().splitlines(), 1) if "push:" in line)
    assert f"index.ts({push_line},5): error TS2322: Type 'string' is not assignable to type 'Input<boolean>'" in result.stdout, result.stdout
    assert "Type '\"maximum\"' is not assignable to type 'Input<CacheMode | undefined>'" in result.stdout, result.stdout


def test_a_typed_typescript_program_deploys(built_sdk, tmp_path):
    require_environment()
    program = program_from(ROOT / "tests/python/programs/typed-ts", tmp_path, built_sdk)
    # The same app as the Python typed program's.
    shutil.copytree(ROOT / "tests/python/programs/typed/app", program / "app")
    (program / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    result = tsc(program)
    assert result.returncode == 0, result.stdout + result.stderr
    stack = Stack(program, tmp_path / "backend")
    repository = f"typed-ts-{uuid.uuid4().hex[:10]}"
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    # Read by the program through `config`; the default provider gets them
    # too, so the host is the real engine's and the cache is explicit.
    host = os.environ["DOCKER_HOST"]
    stack.config(registry=registry(), repository=repository, greeting="hi", **{"docker-build:host": host, "docker-build:autoCache": "false"})
    stack.secret("token", secret)

    _, output = stack.up()
    outputs = stack.outputs()
    assert outputs["ref"].startswith(f"{registry()}/{repository}:v1@sha256:"), outputs
    assert outputs["cacheTo"] == [True, f"{registry()}/{repository}:buildcache"], outputs
    assert outputs["buildArgs"] == {"GREETING": "hi"}
    assert outputs["sdkIsInstance"] is True
    assert outputs["settings"] == {"host": host, "autoCache": False}, outputs
    assert registry_tags(repository) == ["buildcache", "v1"]
    image = stack.resources("docker-build:index:Image")[0]
    assert is_secret(image["outputs"]["secrets"]), image["outputs"]["secrets"]
    assert secret not in json.dumps(stack.export()) and secret not in output

    stack.preview("--expect-no-changes")
    stack.destroy()


def test_the_typescript_example_deploys_updates_and_reports_its_cache(built_sdk, tmp_path):
    require_environment()
    program = program_from(ROOT / "examples/typescript", tmp_path, built_sdk)
    copy_program(ROOT / "examples/app", tmp_path / "app", plugin=False)
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    result = tsc(program)
    assert result.returncode == 0, result.stdout + result.stderr
    stack = Stack(program, tmp_path / "backend")
    repository = f"example-ts-{uuid.uuid4().hex[:10]}"
    stack.config(registry=registry(), repository=repository)
    stack.up()
    outputs = stack.outputs()
    assert outputs["cacheReport"]["ref"] == f"{registry()}/{repository}:cache"
    assert outputs["cacheReport"]["found"] is False
    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")
    edit_and_update(stack, tmp_path / "app" / "greeting.txt")
    stack.destroy()
    assert stack.resources("docker-build:index:Image") == []
