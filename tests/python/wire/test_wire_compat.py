"""Wire compatibility with the official Pulumi Python SDK's generated
protocol stubs (`pulumi.runtime.proto`): the messages the engine sends, as
the SDK's own code encodes them, must mean what they mean to the engine."""

import json
import time

import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import plugin_pb2, provider_pb2

IMAGE_URN = "urn:pulumi:dev::proj::docker-build:index:Image::img"


def secret(value):
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def struct(mapping):
    s = struct_pb2.Struct()
    s.update(mapping)
    return s


def to_dict(s):
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(s)


def test_handshake_and_plugin_info(provider, engine):
    response = provider.Handshake(
        provider_pb2.ProviderHandshakeRequest(engine_address=engine.address, configure_with_urn=True, supports_views=True)
    )
    assert response.accept_secrets and response.accept_resources
    assert response.accept_outputs, "output values are accepted, as by the official provider"
    info = provider.GetPluginInfo(empty_pb2.Empty())
    assert isinstance(info, plugin_pb2.PluginInfo)
    assert info.version.count(".") == 2


def test_schema_is_the_package_schema(provider):
    schema = json.loads(provider.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    assert schema["name"] == "docker-build"
    image = schema["resources"]["docker-build:index:Image"]
    assert image["requiredInputs"] == ["push"]
    assert image["inputProperties"]["secrets"]["secret"] is True


def test_configure_with_secret_registry_password(provider):
    config = {"registries": [{"address": "r.example", "username": "u", "password": secret("p")}]}
    checked = provider.CheckConfig(provider_pb2.CheckRequest(urn="urn:pulumi:dev::proj::pulumi:providers:docker-build::default", news=struct(config)))
    assert list(checked.failures) == []
    response = provider.Configure(provider_pb2.ConfigureRequest(args=checked.inputs, acceptSecrets=True, acceptResources=True))
    assert response.acceptSecrets and response.supportsPreview and response.acceptResources


def test_check_keeps_secrets_and_unknowns(provider):
    news = {"push": True, "tags": [rpc.UNKNOWN], "secrets": secret({"TOKEN": "t"}), "buildArgs": {"A": secret("x")}}
    response = provider.Check(provider_pb2.CheckRequest(urn=IMAGE_URN, type="docker-build:index:Image", news=struct(news)))
    assert list(response.failures) == []
    inputs = to_dict(response.inputs)
    assert inputs["tags"] == [rpc.UNKNOWN]
    assert inputs["secrets"] == secret({"TOKEN": "t"})
    assert inputs["buildArgs"]["A"] == secret("x")
    assert inputs["context"] == {"location": "."}


def test_check_failures_name_properties(provider):
    news = {"push": True, "tags": ["Bad Tag"], "cacheFrom": [{"registry": {"ref": "a"}, "local": {"src": "b"}}]}
    response = provider.Check(provider_pb2.CheckRequest(urn=IMAGE_URN, news=struct(news)))
    properties = sorted(f.property for f in response.failures)
    assert properties == ["cacheFrom[0]", "tags[0]"]


def test_asset_is_not_mistaken_for_a_secret(provider):
    asset = {rpc._special_sig_key: rpc._special_asset_sig, "hash": "h", "text": "t"}
    response = provider.Check(provider_pb2.CheckRequest(urn=IMAGE_URN, news=struct({"push": False, "target": asset})))
    assert [f.property for f in response.failures] == ["target"]
    assert "asset" in response.failures[0].reason


def test_diff_ignores_password_rotation_and_logs_to_engine(provider, engine):
    provider.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    news = {"push": False, "registries": [{"address": "r.example", "username": "AWS", "password": secret("token-2")}]}
    checked = provider.Check(provider_pb2.CheckRequest(urn=IMAGE_URN, news=struct(news)))
    olds = to_dict(checked.inputs)
    olds["registries"][0]["password"] = secret("token-1")
    olds["contextHash"] = "stale"
    response = provider.Diff(provider_pb2.DiffRequest(urn=IMAGE_URN, olds=struct(olds), news=checked.inputs))
    assert list(response.diffs) == ["contextHash"], "only the stale hash differs, not the rotated password"
    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == []
    deadline = time.time() + 10
    while time.time() < deadline and not any(l.urn == IMAGE_URN for l in engine.logs):
        time.sleep(0.05)
    assert any(l.urn == IMAGE_URN for l in engine.logs), "a log line tagged with the URN reached the engine"


def test_unsupported_calls_are_clear(provider):
    import grpc

    with pytest.raises(grpc.RpcError) as raised:
        provider.Construct(provider_pb2.ConstructRequest(type="docker-build:index:Image", name="x"))
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "not supported" in raised.value.details()
    assert provider.GetMapping(provider_pb2.GetMappingRequest(key="terraform")).provider == ""
