"""The YAML example (examples/yaml) needs the Pulumi CLI's YAML language
host to run, which these machines cannot install. What can be checked
without it is checked: its resource type names this provider's Image, its
properties (with the config defaults filled in) pass the provider's own
Check, and every output it reads is an output of the schema."""

import json
import re

import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2

from stand_in import ROOT

EXAMPLE = ROOT / "examples/yaml/Pulumi.yaml"


@pytest.fixture
def program():
    """The provider runs in the example's directory, as under `pulumi up`."""
    return EXAMPLE.parent


def interpolate(value, config):
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: config[m.group(1)], value)
    if isinstance(value, list):
        return [interpolate(v, config) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, config) for k, v in value.items()}
    return value


def test_the_yaml_example_passes_check_and_reads_real_outputs(provider):
    project = yaml.safe_load(EXAMPLE.read_text())
    config = {name: spec["default"] for name, spec in project["config"].items()}
    schema = json.loads((ROOT / "schema.json").read_text())
    image = schema["resources"]["docker-build:index:Image"]
    for name, resource in project["resources"].items():
        # `docker-build:Image` is YAML's short form of docker-build:index:Image.
        assert resource["type"] == "docker-build:Image"
        news = struct_pb2.Struct()
        news.update(interpolate(resource["properties"], config))
        checked = provider.Check(provider_pb2.CheckRequest(urn=f"urn:pulumi:dev::yaml::docker-build:index:Image::{name}", type="docker-build:index:Image", news=news))
        assert not checked.failures, checked.failures
        assert checked.inputs.fields["tags"].list_value.values[0].string_value == "127.0.0.1:5000/docker-build-example-yaml:latest"
    for expression in project["outputs"].values():
        resource, output = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", expression).groups()
        assert resource in project["resources"]
        assert output in image["properties"], f"{output} is not an Image output"
