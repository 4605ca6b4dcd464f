//! The typed inputs and state of `docker-build:index:Image`.
//!
//! These structs *are* the checkpoint format: the engine stores what they
//! serialise to, so field names follow the schema exactly (camelCase) and
//! optional fields stay `None` rather than taking invented values. One-of
//! unions keep their flat wire shape here ([`CacheFromInput`] and friends)
//! and are turned into enums by validation in their own modules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::RegistryLogin;
use crate::model::cache::{CacheFromInput, CacheToInput};
use crate::model::export::ExportInput;

/// Every input of an Image, as the program declared it (after Check's
/// defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageArgs {
    /// `--add-host` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_hosts: Vec<String>,
    /// `--build-arg` values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, String>,
    /// Build during preview; schema default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_on_preview: Option<bool>,
    /// The buildx builder to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builder: Option<BuilderConfig>,
    /// Caches to import.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<CacheFromInput>,
    /// Caches to export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_to: Vec<CacheToInput>,
    /// The build context; Check defaults its location to `.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<BuildContext>,
    /// The Dockerfile; Check defaults it to `<context>/Dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<Dockerfile>,
    /// Accepted for compatibility; this provider is BuildKit's client
    /// itself (buildx only where it must).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<bool>,
    /// `--output` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<ExportInput>,
    /// Secret ids whose value changes don't trigger a rebuild.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_secrets_in_diff_calculation: Vec<String>,
    /// `--label` values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `--load`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<bool>,
    /// `--network`; schema default `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// `--no-cache`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_cache: Option<bool>,
    /// `--platform` entries (schema enum `Platform`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// `--pull`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<bool>,
    /// `--push`; the one required input.
    #[serde(default)]
    pub push: bool,
    /// Per-image registry credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<RegistryLogin>,
    /// Build secrets by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// `--ssh` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<Ssh>,
    /// `--tag` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `--target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Our extension: the automatic registry cache, `None` = provider default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_cache: Option<bool>,
    /// Our extension: hash only the Dockerfile's sources (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_only_build_sources: Option<bool>,
}

impl ImageArgs {
    /// Whether a preview should run the build (schema default true).
    pub fn build_on_preview(&self) -> bool {
        self.build_on_preview.unwrap_or(true)
    }

    /// The network mode, defaulted.
    pub fn network(&self) -> &str {
        self.network.as_deref().unwrap_or("default")
    }

    /// Whether the build exports its result anywhere (push, load or an
    /// enabled export entry).
    pub fn exports_anything(&self) -> bool {
        self.push
            || self.load.unwrap_or(false)
            || self.exports.iter().any(|e| !e.disabled.unwrap_or(false))
    }
}

/// The stored state of an Image: its inputs plus what the build produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageState {
    /// The inputs the image was built from.
    #[serde(flatten)]
    pub args: ImageArgs,
    /// The digest of the pushed manifest or index; empty if nothing was exported.
    #[serde(default)]
    pub digest: String,
    /// `<first tag>@<digest>`, or the first tag, or empty.
    #[serde(default, rename = "ref")]
    pub reference: String,
    /// The hash of the local context and Dockerfile at build time.
    #[serde(default)]
    pub context_hash: String,
    /// How the registry cache served the build (our extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_report: Option<CacheReport>,
}

/// What the registry cache did for one build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheReport {
    /// The registry cache ref imported from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub reference: Option<String>,
    /// Whether that cache existed before the build.
    pub found: bool,
    /// Steps served from a cache.
    pub cached_steps: u32,
    /// Steps in all.
    pub total_steps: u32,
}

/// The main build context and named ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildContext {
    /// A directory, URL or `-`.
    #[serde(default)]
    pub location: String,
    /// Named contexts by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub named: BTreeMap<String, NamedContext>,
}

/// One named context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedContext {
    /// A directory, URL or `docker-image://` reference.
    #[serde(default)]
    pub location: String,
}

/// The Dockerfile, by location or inline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dockerfile {
    /// A path (or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The Dockerfile's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<String>,
}

/// A buildx builder selection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuilderConfig {
    /// The builder's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One `--ssh` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ssh {
    /// The id `RUN --mount=type=ssh,id=` refers to.
    #[serde(default)]
    pub id: String,
    /// Sockets or key files; default `$SSH_AUTH_SOCK`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}
