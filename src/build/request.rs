//! What a build asks for, in buildx's own terms and fully typed: the one
//! thing a resource hands the build engine, which turns it into a
//! BuildKit solve (`crate::buildkit`).

use std::collections::BTreeMap;

use crate::model::Reference;
use crate::model::cache::{CacheFrom, CacheTo};
use crate::model::export::Export;

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

/// Where the Dockerfile comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerfileSource {
    /// Its text, given inline (served to the daemon from memory).
    Inline(String),
    /// A path (or URL) buildx reads.
    Location(String),
    /// Not given: buildx's default, `Dockerfile` in the context.
    Default,
}

/// One SSH agent socket or key set a build may mount (`--ssh`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAgent {
    /// The id `RUN --mount=type=ssh,id=` names.
    pub id: String,
    /// Keys or sockets; none means the agent of `SSH_AUTH_SOCK`.
    pub paths: Vec<String>,
}

/// One build, as buildx takes it.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // each field is the buildx flag of the same name
pub struct BuildRequest {
    /// Preview or deploy: a preview never pushes or exports a cache,
    /// whatever else the request says.
    pub mode: Mode,
    /// The named builder; `None` for the Docker engine's own.
    pub builder: Option<String>,
    pub context: String,
    pub dockerfile: DockerfileSource,
    pub tags: Vec<Reference>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    /// A network mode other than `default`.
    pub network: Option<String>,
    pub add_hosts: Vec<String>,
    pub target: Option<String>,
    pub ssh: Vec<SshAgent>,
    /// Build secrets by id (values: they never reach a command line).
    pub secrets: BTreeMap<String, String>,
    pub named_contexts: BTreeMap<String, String>,
    pub cache: CachePlan,
    pub exports: Vec<Export>,
    /// The names the first pushing image export gives the image, parsed
    /// at Check: where a push goes when there are no `tags`.
    pub export_names: Vec<Reference>,
    pub no_cache: bool,
    pub pull: bool,
    pub push: bool,
    pub load: bool,
}
