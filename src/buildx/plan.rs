//! The build plan: typed Image inputs turned into the exact `docker buildx
//! build` command line, with secrets kept out of it.
//!
//! A plan is made for one [`Mode`]. A preview plan is built from the same
//! inputs but can never push and never export a cache: the `--push` flag,
//! pushing exporters and `--cache-to` are simply not rendered for it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::image::{CacheFrom, CacheTo, DockerfileSource, ImageArgs, ImageSpec};

/// Whether the build is a preview or the real thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `pulumi preview`: build to prove it works; push and export nothing.
    Preview,
    /// `pulumi up`: build, push and export caches.
    Deploy,
}

/// The caches a build will use, decided before it runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CachePlan {
    /// `--cache-from` entries (missing registry caches already left out).
    pub imports: Vec<CacheFrom>,
    /// `--cache-to` entries.
    pub exports: Vec<CacheTo>,
}

/// Everything needed to run one build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    /// Arguments after the `docker-buildx` binary (starting with `build`).
    pub argv: Vec<OsString>,
    /// Extra environment for the child: build secrets, by generated name,
    /// and S3 cache credentials (`AWS_*`).
    pub secret_env: Vec<(String, String)>,
    /// An inline Dockerfile, written to buildx's stdin (`-f -`).
    pub stdin: Option<String>,
    /// Where buildx writes its metadata (the digest).
    pub metadata_file: PathBuf,
    /// Preview or deploy.
    pub mode: Mode,
    /// The buildx builder named by `builder.name`; `None` for the default
    /// builder of the Docker engine.
    pub builder: Option<String>,
}

/// The environment variable that carries the `index`th build secret.
fn secret_variable(index: usize) -> String {
    format!("DOCKER_BUILD_SECRET_{index}")
}

/// Renders the buildx command for `spec`.
pub fn plan_build(
    spec: &ImageSpec,
    cache: &CachePlan,
    mode: Mode,
    metadata_file: &Path,
) -> BuildPlan {
    let ImageArgs {
        add_hosts,
        build_args,
        build_on_preview: _,
        builder,
        cache_from: _, // decided by the cache plan
        cache_to: _,
        context,
        dockerfile: _, // parsed: `spec.dockerfile`
        exec: _,       // this provider always runs the buildx binary
        exports: _,    // parsed: `spec.exports`
        ignore_secrets_in_diff_calculation: _,
        labels,
        load,
        network,
        no_cache,
        platforms,
        pull,
        push,
        registries: _, // reach buildx through the private Docker config
        secrets,
        ssh,
        tags,
        target,
        auto_cache: _,
        hash_only_build_sources: _,
    } = &spec.args;
    let preview = mode == Mode::Preview;
    let mut argv: Vec<OsString> = Vec::new();
    let mut flag = |name: &str, value: &str| {
        argv.push(name.into());
        argv.push(value.into());
    };

    flag("--progress", "rawjson");
    flag("--metadata-file", &metadata_file.to_string_lossy());
    // Provenance attestations turn every image into an index with an extra
    // manifest; off, as in the Go provider, so `digest` is the image's.
    flag("--provenance", "false");
    let builder = builder
        .as_ref()
        .and_then(|b| b.name.clone())
        .filter(|n| !n.is_empty());
    if let Some(name) = &builder {
        flag("--builder", name);
    }
    let mut stdin = None;
    match &spec.dockerfile {
        DockerfileSource::Inline(text) => {
            flag("--file", "-");
            stdin = Some(text.clone());
        }
        DockerfileSource::Location(location) => flag("--file", location),
        DockerfileSource::Default => {}
    }
    for tag in tags {
        flag("--tag", tag);
    }
    for (key, value) in build_args {
        flag("--build-arg", &format!("{key}={value}"));
    }
    for (key, value) in labels {
        flag("--label", &format!("{key}={value}"));
    }
    if !platforms.is_empty() {
        flag("--platform", &platforms.join(","));
    }
    if let Some(network) = network.as_deref().filter(|n| *n != "default") {
        flag("--network", network);
    }
    for host in add_hosts {
        flag("--add-host", host);
    }
    if let Some(target) = target.as_deref().filter(|t| !t.is_empty()) {
        flag("--target", target);
    }
    for entry in ssh {
        let value = if entry.paths.is_empty() {
            entry.id.clone()
        } else {
            format!("{}={}", entry.id, entry.paths.join(","))
        };
        flag("--ssh", &value);
    }
    // Secret values travel in the environment; only their ids are on the
    // command line.
    let mut secret_env = Vec::new();
    for (index, (id, value)) in secrets.iter().enumerate() {
        let variable = secret_variable(index);
        flag("--secret", &format!("id={id},env={variable}"));
        secret_env.push((variable, value.clone()));
    }
    if let Some(context) = context {
        for (name, named) in &context.named {
            flag("--build-context", &format!("{name}={}", named.location));
        }
    }
    // S3 credentials travel in buildx's environment, which it reads for
    // every `type=s3` entry (Check refused entries that disagree).
    let mut s3 = None;
    for import in &cache.imports {
        flag("--cache-from", &import.render());
        s3 = s3.or(import.s3_credentials());
    }
    if !preview {
        for export in &cache.exports {
            flag("--cache-to", &export.render());
            s3 = s3.or(export.s3_credentials());
        }
    }
    if let Some(credentials) = s3 {
        secret_env.extend(credentials.environment());
    }
    for export in &spec.exports {
        if let Some(rendered) = export.render(preview) {
            flag("--output", &rendered);
        }
    }
    if no_cache.unwrap_or(false) {
        argv.push("--no-cache".into());
    }
    if pull.unwrap_or(false) {
        argv.push("--pull".into());
    }
    if *push && !preview {
        argv.push("--push".into());
    }
    if load.unwrap_or(false) {
        argv.push("--load".into());
    }
    let location = context.as_ref().map_or(".", |c| c.location.as_str());
    argv.push(location.into());

    let mut full: Vec<OsString> = vec!["build".into()];
    full.extend(argv);
    BuildPlan {
        argv: full,
        secret_env,
        stdin,
        metadata_file: metadata_file.to_path_buf(),
        mode,
        builder,
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
