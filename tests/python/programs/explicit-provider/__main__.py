"""An explicit provider, as real programs pass one per registry or host:
its own `registries` (a secret password) and `auto_cache=False`, so the
image built through it gets no `:cache` tag, while the image on the
default provider does."""

import pulumi
import pulumi_docker_build as docker_build

config = pulumi.Config()
registry = config.require("registry")
repository = config.require("repository")

explicit = docker_build.Provider(
    "per-registry",
    registries=[docker_build.RegistryArgs(address=registry, username="ci", password=config.require_secret("password"))],
    auto_cache=False,
)
through_explicit = docker_build.Image(
    "explicit",
    push=True,
    tags=[f"{registry}/{repository}-explicit:v1"],
    context={"location": "app"},
    opts=pulumi.ResourceOptions(provider=explicit),
)
through_default = docker_build.Image(
    "default",
    push=True,
    tags=[f"{registry}/{repository}-default:v1"],
    context={"location": "app"},
)
pulumi.export("explicit", through_explicit.ref)
pulumi.export("default", through_default.ref)
