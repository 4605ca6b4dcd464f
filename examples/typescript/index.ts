// Build the demo app and push it to a registry (default: the local one),
// with the registry build cache on (the provider's default).
//
//     pulumi config set registry 123456789012.dkr.ecr.us-east-1.amazonaws.com

import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";

const config = new pulumi.Config();
const registry = config.get("registry") ?? "127.0.0.1:5000";
const repository = config.get("repository") ?? "docker-build-example-ts";

const image = new dockerBuild.Image("app", {
    push: true,
    tags: [`${registry}/${repository}:latest`],
    context: { location: "../app" },
});

export const ref = image.ref;
export const digest = image.digest;
// Where the cache lives, whether it was there, how many steps it served.
export const cacheReport = image.cacheReport;
