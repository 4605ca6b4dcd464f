"""The plain-dict style current Pulumi programs use for nested inputs
(`...ArgsDict` in the SDK), schema defaults left to the SDK, an Index, and
the provider's configuration read through the SDK's typed `config`
module. It runs unchanged with the generated and the official SDK."""

import pulumi
import pulumi_docker_build as docker_build

config = pulumi.Config()
registry = config.require("registry")
repository = config.require("repository")
cache = f"{registry}/{repository}:buildcache"

image = docker_build.Image(
    "dicts",
    push=True,
    tags=[f"{registry}/{repository}:v1"],
    context={"location": "app"},
    build_args={"GREETING": "hi"},
    secrets={"TOKEN": pulumi.Output.secret("t0ken")},
    cache_to=[{"registry": {"ref": cache, "mode": docker_build.CacheMode.MAX}}],
    cache_from=[{"registry": {"ref": cache}}, {"local": {"src": "/tmp/cache"}}],
    exports=[{"registry": {"oci_media_types": True}}],
    registries=[{"address": registry, "username": "ci", "password": config.require_secret("password")}],
)
index = docker_build.Index(
    "joined",
    tag=f"{registry}/{repository}:index",
    sources=[f"{registry}/{repository}:v1"],
)
pulumi.export("host", docker_build.config.host)
pulumi.export("registries", docker_build.config.registries)
