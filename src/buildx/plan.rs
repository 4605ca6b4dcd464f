//! The build plan: a [`BuildRequest`] turned into the exact buildx
//! invocation, with secrets kept off its command line.
//!
//! A build runs as `docker buildx build` with every setting on the command
//! line, unless one of its cache entries carries a secret (an S3 key or
//! token, an Azure Blob account key): buildx takes those only as cache
//! attributes, so that build runs as `docker buildx bake -f -` with its
//! definition on stdin ([`super::bake`]), which no other process can read.
//!
//! A plan is made for one [`Mode`]. A preview plan is built from the same
//! request but can never push and never export a cache: the `--push` flag,
//! pushing exporters and `--cache-to` are simply not rendered for it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::render::SecretAttributes;
use super::request::{BuildRequest, DockerfileSource, Mode};
use super::settings::{Settings, render};

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

/// Renders the buildx invocation for `request`; `base` is the directory
/// buildx runs in, against which local paths resolve.
pub fn plan_build(request: &BuildRequest, metadata_file: &Path, base: &Path) -> BuildPlan {
    let mode = request.mode;
    let preview = mode == Mode::Preview;
    let bake = request.cache.carries_secret(mode);
    let secrets = match bake {
        true => SecretAttributes::Include,
        false => SecretAttributes::Omit,
    };
    let (settings, secret_env) = render(request, secrets);
    let builder = request.builder.clone();

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
    argv.switch("--push", request.push && !preview);
    argv.switch("--load", request.load);
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
