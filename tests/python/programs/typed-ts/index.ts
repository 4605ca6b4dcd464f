// One Image with typed arguments: a registry cache with an enum mode, a
// build secret and build arguments, checked by tsc against the generated
// SDK's type declarations.

import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";

const config = new pulumi.Config();
const registry = config.require("registry");
const repository = config.require("repository");
const cache = `${registry}/${repository}:buildcache`;
// The official SDK's input type names; a dict literal checked against one.
const registryCache: dockerBuild.types.input.CacheToRegistryArgs = {
    ref: cache,
    mode: dockerBuild.CacheMode.Max,
    imageManifest: true,
    ociMediaTypes: true,
};

const image = new dockerBuild.Image("typed", {
    push: true,
    tags: [`${registry}/${repository}:v1`],
    context: { location: "app" },
    buildArgs: { GREETING: config.get("greeting") ?? "hello" },
    secrets: { TOKEN: pulumi.secret(config.require("token")) },
    cacheTo: [{ registry: registryCache }],
    cacheFrom: [{ registry: { ref: cache } }],
});

export const ref = image.ref;
export const digest = image.digest;
// Outputs are typed: these property accesses are checked by tsc.
export const cacheTo = image.cacheTo.apply((entries) => {
    const registryCache: dockerBuild.types.output.CacheToRegistry | undefined = entries?.[0]?.registry;
    return [registryCache?.mode === dockerBuild.CacheMode.Max, registryCache?.ref];
});
export const buildArgs = image.buildArgs;
export const cacheFound = image.cacheReport.apply((report) => report?.found ?? null);
export const sdkIsInstance = dockerBuild.Image.isInstance(image);
// The provider's settings through the typed config module.
const host: string = dockerBuild.config.host;
const autoCache: boolean = dockerBuild.config.autoCache;
export const settings = { host, autoCache };
