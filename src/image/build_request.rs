//! An Image's spec as a [`BuildRequest`]: the one place the Image's
//! inputs become buildx's settings (the Go provider's `toBuild`).

use std::collections::BTreeMap;

use super::{ImageArgs, ImageSpec};
use crate::build::{BuildRequest, CachePlan, Mode, SshAgent};

/// The request that builds `spec` with `cache` in `mode`.
// long: destructures ImageArgs without `..`, so a new input must be placed.
pub fn build_request(spec: &ImageSpec, cache: &CachePlan, mode: Mode) -> BuildRequest {
    let ImageArgs {
        add_hosts,
        build_args,
        build_on_preview: _,
        builder,
        cache_from: _, // decided by the cache plan
        cache_to: _,
        context,
        dockerfile: _, // parsed: `spec.dockerfile`
        exec: _,       // this provider is BuildKit's client itself
        exports: _,    // parsed: `spec.exports`
        ignore_secrets_in_diff_calculation: _,
        labels,
        load,
        network,
        no_cache,
        platforms,
        pull,
        push,
        registries: _, // the build's credentials, apart
        secrets,
        ssh,
        tags: _, // parsed: `spec.tags`
        target,
        auto_cache: _,
        hash_only_build_sources: _,
    } = &spec.args;
    BuildRequest {
        mode,
        builder: builder
            .as_ref()
            .and_then(|b| b.name.clone())
            .filter(|n| !n.is_empty()),
        context: context
            .as_ref()
            .map_or(".", |c| c.location.as_str())
            .to_owned(),
        dockerfile: spec.dockerfile.clone(),
        tags: spec.tags.clone(),
        build_args: build_args.clone(),
        labels: labels.clone(),
        platforms: platforms.clone(),
        network: network.clone().filter(|n| n != "default"),
        add_hosts: add_hosts.clone(),
        target: target.clone().filter(|t| !t.is_empty()),
        ssh: ssh
            .iter()
            .map(|entry| SshAgent {
                id: entry.id.clone(),
                paths: entry.paths.clone(),
            })
            .collect(),
        secrets: secrets.clone(),
        named_contexts: context.as_ref().map_or_else(BTreeMap::new, |c| {
            c.named
                .iter()
                .map(|(name, n)| (name.clone(), n.location.clone()))
                .collect()
        }),
        cache: cache.clone(),
        exports: spec.exports.clone(),
        export_names: spec.export_names.clone(),
        no_cache: no_cache.unwrap_or(false),
        pull: pull.unwrap_or(false),
        push: *push,
        load: load.unwrap_or(false),
    }
}

#[cfg(test)]
#[path = "build_request_tests.rs"]
mod tests;
