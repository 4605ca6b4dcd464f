"""One Image with typed arguments: a registry cache with an enum mode,
a build secret and build arguments. It runs unchanged with the generated
SDK (sdk/python) and with the official `pulumi-docker-build` from PyPI."""

import pulumi
import pulumi_docker_build as docker_build

config = pulumi.Config()
registry = config.require("registry")
repository = config.require("repository")
cache = f"{registry}/{repository}:buildcache"

image = docker_build.Image(
    "typed",
    push=True,
    tags=[f"{registry}/{repository}:v1"],
    context=docker_build.BuildContextArgs(location="app"),
    build_args={"GREETING": config.get("greeting") or "hello"},
    secrets={"TOKEN": pulumi.Output.secret(config.require("token"))},
    cache_to=[
        docker_build.CacheToArgs(
            registry=docker_build.CacheToRegistryArgs(
                ref=cache,
                mode=docker_build.CacheMode.MAX,
                image_manifest=True,
                oci_media_types=True,
            )
        )
    ],
    cache_from=[docker_build.CacheFromArgs(registry=docker_build.CacheFromRegistryArgs(ref=cache))],
)

pulumi.export("ref", image.ref)
pulumi.export("digest", image.digest)
pulumi.export("sdk", docker_build.__file__)
# Outputs come back as the SDK's typed classes, with snake_case attributes.
pulumi.export(
    "cacheTo",
    image.cache_to.apply(
        lambda entries: [type(entries[0]).__name__, type(entries[0].registry).__name__, entries[0].registry.mode == "max"]
    ),
)
pulumi.export("buildArgs", image.build_args)
