//! A build as a `docker buildx bake` definition, for builds whose cache
//! entries carry a secret: bake reads the definition from stdin, and its
//! cache entries carry their own attributes (`secret_access_key=...`), so
//! each entry keeps its own credentials and none reaches a command line,
//! an environment or a file. Only these builds: bake is slower on a cached
//! build (`benches/bake.rs`) and lacks settings.
//!
//! Bake resolves a target's relative Dockerfile against its context, not
//! the working directory as `build` does, so every local path is written
//! absolute. Bake (as of buildx 0.13) has no network mode or extra hosts;
//! the spec refuses those next to a cache secret.

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use super::request::DockerfileSource;
use super::settings::Settings;
use crate::context::{Location, classify, clean};

/// The one target of the definition; buildx's metadata file keys the
/// build's results by it.
pub const TARGET: &str = "image";

/// The definition (JSON) of `settings`, local paths resolved against
/// `base`.
pub(super) fn definition(settings: &Settings, base: &Path) -> String {
    let Settings {
        context,
        dockerfile,
        tags,
        build_args,
        labels,
        platforms,
        network: _,   // refused by the spec next to a cache secret
        add_hosts: _, // likewise
        target,
        ssh,
        secrets,
        named_contexts,
        cache_from,
        cache_to,
        outputs,
        no_cache,
        pull,
    } = settings;
    let absolute = |location: &str| match classify(location, base) {
        Location::Local(path) => clean(&path.to_string_lossy()),
        Location::Remote => location.to_owned(),
    };
    let mut target_json = Map::new();
    let mut set = |key: &str, value: Json| {
        target_json.insert(key.to_owned(), value);
    };
    set("context", json!(absolute(context)));
    match dockerfile {
        DockerfileSource::Inline(text) => set("dockerfile-inline", json!(text)),
        // Inside a remote context (a Git repository) the Dockerfile is the
        // repository's, as `build -f` reads it there too.
        DockerfileSource::Location(location) => match classify(context, base) {
            Location::Local(_) => set("dockerfile", json!(absolute(location))),
            Location::Remote => set("dockerfile", json!(location)),
        },
        DockerfileSource::Default => {}
    }
    let named: Map<String, Json> = named_contexts
        .iter()
        .map(|(name, location)| (name.clone(), json!(absolute(location))))
        .collect();
    set("contexts", Json::Object(named));
    set("tags", json!(tags));
    set("args", json!(build_args));
    set("labels", json!(labels));
    set("platforms", json!(platforms));
    if let Some(stage) = target {
        set("target", json!(stage));
    }
    set("ssh", json!(ssh));
    set("secret", json!(secrets));
    set("cache-from", json!(cache_from));
    set("cache-to", json!(cache_to));
    set("output", json!(outputs));
    set("no-cache", json!(no_cache));
    set("pull", json!(pull));
    json!({"target": {TARGET: target_json}}).to_string()
}
