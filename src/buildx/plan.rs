//! The build plan: typed Image inputs turned into the exact buildx
//! invocation, with secrets kept off its command line.
//!
//! A build runs as `docker buildx build` with every setting on the command
//! line, unless one of its cache entries carries a secret (an S3 key or
//! token, an Azure Blob account key): buildx takes those only as cache
//! attributes, so that build runs as `docker buildx bake -f -` with its
//! definition on stdin ([`super::bake`]), which no other process can read.
//!
//! A plan is made for one [`Mode`]. A preview plan is built from the same
//! inputs but can never push and never export a cache: the `--push` flag,
//! pushing exporters and `--cache-to` are simply not rendered for it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::render::{CacheSyntax, ExportSyntax, SecretAttributes};
use crate::image::{DockerfileSource, ImageArgs, ImageSpec};
use crate::model::cache::CacheFrom;
use crate::model::cache::CacheTo;

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

impl CachePlan {
    /// Whether an entry the build uses in `mode` holds a secret.
    fn carries_secret(&self, mode: Mode) -> bool {
        self.imports.iter().any(CacheFrom::carries_secret)
            || (mode == Mode::Deploy && self.exports.iter().any(CacheTo::carries_secret))
    }
}

/// Everything needed to run one build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    /// Arguments after the `docker-buildx` binary (`build ...` or
    /// `bake ...`).
    pub argv: Vec<OsString>,
    /// Extra environment for the child: build secrets, by generated name.
    pub secret_env: Vec<(String, String)>,
    /// What buildx reads from stdin: an inline Dockerfile (`build -f -`)
    /// or the bake definition (`bake -f -`).
    pub stdin: Option<String>,
    /// Where buildx writes its metadata (the digest).
    pub metadata_file: PathBuf,
    /// The bake target the metadata file keys the build's entry by;
    /// `None` for `build`, whose metadata is the entry itself.
    pub bake_target: Option<&'static str>,
    /// Preview or deploy.
    pub mode: Mode,
    /// The buildx builder named by `builder.name`; `None` for the default
    /// builder of the Docker engine.
    pub builder: Option<String>,
}

/// One build's settings, in buildx's terms, before they are written as a
/// command line or a bake target.
#[derive(Debug)]
#[allow(missing_docs)] // each is the buildx flag of the same name
pub(super) struct Settings {
    pub context: String,
    pub dockerfile: DockerfileSource,
    pub tags: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    pub network: Option<String>,
    pub add_hosts: Vec<String>,
    pub target: Option<String>,
    /// `id` or `id=path,path`.
    pub ssh: Vec<String>,
    /// `id=NAME,env=VARIABLE`; the values are in the plan's environment.
    pub secrets: Vec<String>,
    pub named_contexts: BTreeMap<String, String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub outputs: Vec<String>,
    pub no_cache: bool,
    pub pull: bool,
}

/// The environment variable that carries the `index`th build secret.
fn secret_variable(index: usize) -> String {
    format!("DOCKER_BUILD_SECRET_{index}")
}

/// Renders the buildx invocation for `spec`; `base` is the directory
/// buildx runs in, against which local paths resolve.
pub fn plan_build(
    spec: &ImageSpec,
    cache: &CachePlan,
    mode: Mode,
    metadata_file: &Path,
    base: &Path,
) -> BuildPlan {
    let preview = mode == Mode::Preview;
    let bake = cache.carries_secret(mode);
    let secrets = match bake {
        true => SecretAttributes::Include,
        false => SecretAttributes::Omit,
    };
    let (settings, secret_env) = settings(spec, cache, preview, secrets);
    let builder = spec
        .args
        .builder
        .as_ref()
        .and_then(|b| b.name.clone())
        .filter(|n| !n.is_empty());

    let mut argv = Argv::default();
    argv.flag("--progress", "rawjson");
    argv.flag("--metadata-file", &metadata_file.to_string_lossy());
    // Provenance attestations turn every image into an index with an extra
    // manifest; off, as in the Go provider, so `digest` is the image's.
    argv.flag("--provenance", "false");
    if let Some(name) = &builder {
        argv.flag("--builder", name);
    }
    let (command, stdin, bake_target) = if bake {
        argv.flag("--file", "-");
        let definition = super::bake::definition(&settings, base);
        ("bake", Some(definition), Some(super::bake::TARGET))
    } else {
        ("build", argv.settings(&settings), None)
    };
    argv.switch("--push", spec.args.push && !preview);
    argv.switch("--load", spec.args.load.unwrap_or(false));
    match bake_target {
        Some(target) => argv.0.push(target.into()),
        None => argv.0.push(settings.context.clone().into()),
    }

    let mut full: Vec<OsString> = vec![command.into()];
    full.extend(argv.0);
    BuildPlan {
        argv: full,
        secret_env,
        stdin,
        metadata_file: metadata_file.to_path_buf(),
        bake_target,
        mode,
        builder,
    }
}

/// The settings of `spec`'s build, and the environment its build secrets
/// travel in (only their ids are in the settings).
fn settings(
    spec: &ImageSpec,
    cache: &CachePlan,
    preview: bool,
    secrets: SecretAttributes,
) -> (Settings, Vec<(String, String)>) {
    let ImageArgs {
        add_hosts,
        build_args,
        build_on_preview: _,
        builder: _,    // the plan's `--builder`
        cache_from: _, // decided by the cache plan
        cache_to: _,
        context,
        dockerfile: _, // parsed: `spec.dockerfile`
        exec: _,       // this provider always runs the buildx binary
        exports: _,    // parsed: `spec.exports`
        ignore_secrets_in_diff_calculation: _,
        labels,
        load: _, // the plan's `--load`
        network,
        no_cache,
        platforms,
        pull,
        push: _,       // the plan's `--push`
        registries: _, // reach buildx through the private Docker config
        secrets: build_secrets,
        ssh,
        tags,
        target,
        auto_cache: _,
        hash_only_build_sources: _,
    } = &spec.args;
    let mut secret_env = Vec::new();
    let mut secret_ids = Vec::new();
    for (index, (id, value)) in build_secrets.iter().enumerate() {
        let variable = secret_variable(index);
        secret_ids.push(format!("id={id},env={variable}"));
        secret_env.push((variable, value.clone()));
    }
    let settings = Settings {
        context: context
            .as_ref()
            .map_or(".", |c| c.location.as_str())
            .to_owned(),
        dockerfile: spec.dockerfile.clone(),
        tags: tags.clone(),
        build_args: build_args.clone(),
        labels: labels.clone(),
        platforms: platforms.clone(),
        network: network.clone().filter(|n| n != "default"),
        add_hosts: add_hosts.clone(),
        target: target.clone().filter(|t| !t.is_empty()),
        ssh: ssh
            .iter()
            .map(|entry| match entry.paths.is_empty() {
                true => entry.id.clone(),
                false => format!("{}={}", entry.id, entry.paths.join(",")),
            })
            .collect(),
        secrets: secret_ids,
        named_contexts: context.as_ref().map_or_else(BTreeMap::new, |c| {
            c.named
                .iter()
                .map(|(name, n)| (name.clone(), n.location.clone()))
                .collect()
        }),
        cache_from: cache
            .imports
            .iter()
            .map(|c| c.render_with(secrets))
            .collect(),
        cache_to: match preview {
            true => Vec::new(),
            false => cache
                .exports
                .iter()
                .map(|c| c.render_with(secrets))
                .collect(),
        },
        outputs: spec
            .exports
            .iter()
            .filter_map(|e| e.render(preview))
            .collect(),
        no_cache: no_cache.unwrap_or(false),
        pull: pull.unwrap_or(false),
    };
    (settings, secret_env)
}

/// A command line under construction.
#[derive(Default)]
struct Argv(Vec<OsString>);

impl Argv {
    fn flag(&mut self, name: &str, value: &str) {
        self.0.push(name.into());
        self.0.push(value.into());
    }

    fn repeated<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a String>) {
        for value in values {
            self.flag(name, value);
        }
    }

    fn pairs(&mut self, name: &str, values: &BTreeMap<String, String>) {
        for (key, value) in values {
            self.flag(name, &format!("{key}={value}"));
        }
    }

    fn switch(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(name.into());
        }
    }

    /// The settings as `docker buildx build` flags; returns the inline
    /// Dockerfile's text, for stdin.
    fn settings(&mut self, s: &Settings) -> Option<String> {
        let stdin = self.dockerfile(&s.dockerfile);
        self.repeated("--tag", &s.tags);
        self.pairs("--build-arg", &s.build_args);
        self.pairs("--label", &s.labels);
        if !s.platforms.is_empty() {
            self.flag("--platform", &s.platforms.join(","));
        }
        if let Some(network) = &s.network {
            self.flag("--network", network);
        }
        self.repeated("--add-host", &s.add_hosts);
        if let Some(target) = &s.target {
            self.flag("--target", target);
        }
        self.repeated("--ssh", &s.ssh);
        self.repeated("--secret", &s.secrets);
        self.pairs("--build-context", &s.named_contexts);
        self.repeated("--cache-from", &s.cache_from);
        self.repeated("--cache-to", &s.cache_to);
        self.repeated("--output", &s.outputs);
        self.switch("--no-cache", s.no_cache);
        self.switch("--pull", s.pull);
        stdin
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
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
