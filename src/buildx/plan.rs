//! The build plan: typed Image inputs turned into the exact `docker buildx
//! build` command line, with secrets kept out of it.
//!
//! A plan is made for one [`Mode`]. A preview plan is built from the same
//! inputs but can never push and never export a cache: the `--push` flag,
//! pushing exporters and `--cache-to` are simply not rendered for it.

use std::collections::BTreeMap;
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
    let mut argv = Argv::default();
    argv.flag("--progress", "rawjson");
    argv.flag("--metadata-file", &metadata_file.to_string_lossy());
    // Provenance attestations turn every image into an index with an extra
    // manifest; off, as in the Go provider, so `digest` is the image's.
    argv.flag("--provenance", "false");
    let builder = builder
        .as_ref()
        .and_then(|b| b.name.clone())
        .filter(|n| !n.is_empty());
    if let Some(name) = &builder {
        argv.flag("--builder", name);
    }
    let stdin = argv.dockerfile(&spec.dockerfile);
    argv.repeated("--tag", tags.iter().cloned());
    argv.repeated(
        "--build-arg",
        build_args.iter().map(|(k, v)| format!("{k}={v}")),
    );
    argv.repeated("--label", labels.iter().map(|(k, v)| format!("{k}={v}")));
    if !platforms.is_empty() {
        argv.flag("--platform", &platforms.join(","));
    }
    if let Some(network) = network.as_deref().filter(|n| *n != "default") {
        argv.flag("--network", network);
    }
    argv.repeated("--add-host", add_hosts.iter().cloned());
    if let Some(target) = target.as_deref().filter(|t| !t.is_empty()) {
        argv.flag("--target", target);
    }
    argv.repeated(
        "--ssh",
        ssh.iter().map(|entry| match entry.paths.is_empty() {
            true => entry.id.clone(),
            false => format!("{}={}", entry.id, entry.paths.join(",")),
        }),
    );
    let mut secret_env = argv.secrets(secrets);
    if let Some(context) = context {
        let named = context
            .named
            .iter()
            .map(|(name, n)| format!("{name}={}", n.location));
        argv.repeated("--build-context", named);
    }
    secret_env.extend(argv.caches(cache, preview));
    argv.repeated(
        "--output",
        spec.exports.iter().filter_map(|e| e.render(preview)),
    );
    argv.switch("--no-cache", no_cache.unwrap_or(false));
    argv.switch("--pull", pull.unwrap_or(false));
    argv.switch("--push", *push && !preview);
    argv.switch("--load", load.unwrap_or(false));
    argv.0
        .push(context.as_ref().map_or(".", |c| c.location.as_str()).into());

    let mut full: Vec<OsString> = vec!["build".into()];
    full.extend(argv.0);
    BuildPlan {
        argv: full,
        secret_env,
        stdin,
        metadata_file: metadata_file.to_path_buf(),
        mode,
        builder,
    }
}

/// A command line under construction.
#[derive(Default)]
struct Argv(Vec<OsString>);

impl Argv {
    fn flag(&mut self, name: &str, value: &str) {
        self.0.push(name.into());
        self.0.push(value.into());
    }

    fn repeated(&mut self, name: &str, values: impl IntoIterator<Item = String>) {
        for value in values {
            self.flag(name, &value);
        }
    }

    fn switch(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(name.into());
        }
    }

    /// `--file`; the inline Dockerfile's text, for stdin.
    fn dockerfile(&mut self, source: &DockerfileSource) -> Option<String> {
        match source {
            DockerfileSource::Inline(text) => {
                self.flag("--file", "-");
                Some(text.clone())
            }
            DockerfileSource::Location(location) => {
                self.flag("--file", location);
                None
            }
            DockerfileSource::Default => None,
        }
    }

    /// Secret values travel in the environment; only their ids are on the
    /// command line. Returns the environment.
    fn secrets(&mut self, secrets: &BTreeMap<String, String>) -> Vec<(String, String)> {
        let mut env = Vec::new();
        for (index, (id, value)) in secrets.iter().enumerate() {
            let variable = secret_variable(index);
            self.flag("--secret", &format!("id={id},env={variable}"));
            env.push((variable, value.clone()));
        }
        env
    }

    /// `--cache-from` and (unless a preview) `--cache-to`. S3 credentials
    /// travel in buildx's environment, which it reads for every `type=s3`
    /// entry (the spec makes sure they agree); returns that environment.
    fn caches(&mut self, cache: &CachePlan, preview: bool) -> Vec<(String, String)> {
        let mut s3 = None;
        for import in &cache.imports {
            self.flag("--cache-from", &import.render());
            s3 = s3.or(import.s3_credentials());
        }
        if !preview {
            for export in &cache.exports {
                self.flag("--cache-to", &export.render());
                s3 = s3.or(export.s3_credentials());
            }
        }
        s3.map(|credentials| credentials.environment())
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
