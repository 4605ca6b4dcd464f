//! Cache imports (`cacheFrom`) and exports (`cacheTo`): their wire shape
//! and validation into one enum variant per backend (written out
//! elsewhere, by `build::render`).
//!
//! On the wire each entry is a flat object with one optional field per
//! backend, as in the Go provider. [`CacheFromInput::validate`] turns it into
//! exactly one [`CacheFrom`] variant (or a failure naming the entry), so no
//! later code counts `type=` in strings. `build::render` writes them as
//! buildx reads them.

use serde::{Deserialize, Serialize};

use crate::failure::InputFailure;
use crate::model::reference::Reference;
use crate::wire::PropertyPath;

// ---------------------------------------------------------------- wire shape

/// A `cacheFrom` entry as declared: set exactly one backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct CacheFromInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azblob: Option<AzureBlob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha: Option<GitHubActions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3>,
}

/// A `cacheTo` entry as declared: set exactly one backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct CacheToInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azblob: Option<AzureBlob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha: Option<GitHubActions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<Inline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalTo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryTo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3>,
}

/// Settings shared by cache exports: how much to keep and whether a failed
/// export fails the build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct ExportSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_error: Option<bool>,
}

/// Layer compression settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct Compression {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_level: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_compression: Option<bool>,
}

/// Azure Blob Storage (import and export).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct AzureBlob {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    #[serde(flatten)]
    pub export: ExportSettings,
}

/// The GitHub Actions cache (import and export).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct GitHubActions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(flatten)]
    pub export: ExportSettings,
}

/// A local cache directory to import from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct LocalFrom {
    #[serde(default)]
    pub src: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// A local cache directory to export to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct LocalTo {
    #[serde(default)]
    pub dest: String,
    #[serde(flatten)]
    pub export: ExportSettings,
    #[serde(flatten)]
    pub compression: Compression,
}

/// A registry cache image to import from: its `ref` as written on the
/// wire (`R = String`), or parsed once by validation (`R = Reference`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct RegistryFrom<R = String> {
    #[serde(default, rename = "ref")]
    pub reference: R,
}

/// A registry cache image to export to: its `ref` as written on the wire
/// (`R = String`), or parsed once by validation (`R = Reference`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct RegistryTo<R = String> {
    #[serde(default, rename = "ref")]
    pub reference: R,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_media_types: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_manifest: Option<bool>,
    #[serde(flatten)]
    pub export: ExportSettings,
    #[serde(flatten)]
    pub compression: Compression,
}

/// An S3 bucket (import and export).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct S3 {
    #[serde(default)]
    pub bucket: String,
    #[serde(default)]
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobs_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_path_style: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    #[serde(flatten)]
    pub export: ExportSettings,
}

/// The inline cache takes no settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct Inline {}

/// `value` unless unset or empty.
pub fn given(value: &Option<String>) -> Option<&String> {
    value.as_ref().filter(|s| !s.is_empty())
}

// ------------------------------------------------------------- domain enums

/// One validated cache import.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // one variant per backend of schema.json's CacheFrom
pub enum CacheFrom {
    Registry(RegistryFrom<Reference>),
    Local(LocalFrom),
    Gha(GitHubActions),
    S3(S3),
    AzBlob(AzureBlob),
    Raw(String),
}

/// One validated cache export.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // one variant per backend of schema.json's CacheTo
pub enum CacheTo {
    Registry(RegistryTo<Reference>),
    Local(LocalTo),
    Gha(GitHubActions),
    S3(S3),
    AzBlob(AzureBlob),
    Inline,
    Raw(String),
}

/// The one backend set in a union entry, or a failure that names them.
fn exactly_one<T>(
    path: &PropertyPath,
    kind: &str,
    set: Vec<(&'static str, Option<T>)>,
) -> Result<T, InputFailure> {
    let names: Vec<&str> = set.iter().map(|(name, _)| *name).collect();
    let mut present: Vec<(&str, T)> = set
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();
    match present.len() {
        1 => Ok(present.remove(0).1),
        0 => Err(InputFailure::new(
            path.clone(),
            format!("a {kind} entry needs exactly one of: {}", names.join(", ")),
        )),
        _ => Err(InputFailure::new(
            path.clone(),
            format!(
                "a {kind} entry takes exactly one type, but {} are set; split it into several entries",
                present
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        )),
    }
}

impl CacheFromInput {
    /// Whether the entry is switched off: `disabled`, or no backend set
    /// (the official provider skips such an entry, which a program that
    /// fills its entries conditionally relies on).
    pub fn is_disabled(&self) -> bool {
        let nothing = CacheFromInput {
            disabled: self.disabled,
            ..Default::default()
        };
        self.disabled.unwrap_or(false) || *self == nothing
    }

    /// The one backend this entry names.
    pub fn validate(&self, path: &PropertyPath) -> Result<CacheFrom, InputFailure> {
        let CacheFromInput {
            azblob,
            disabled: _,
            gha,
            local,
            raw,
            registry,
            s3,
        } = self.clone();
        // A registry entry's ref is parsed here, but its failure counts
        // only once the entry is known to name exactly one backend.
        let entry = exactly_one(
            path,
            "cacheFrom",
            vec![
                ("azblob", azblob.map(|a| Ok(CacheFrom::AzBlob(a)))),
                ("gha", gha.map(|g| Ok(CacheFrom::Gha(g)))),
                ("local", local.map(|l| Ok(CacheFrom::Local(l)))),
                ("raw", raw.map(|r| Ok(CacheFrom::Raw(r)))),
                (
                    "registry",
                    registry.map(|r| r.parsed(path).map(CacheFrom::Registry)),
                ),
                ("s3", s3.map(|s| Ok(CacheFrom::S3(s)))),
            ],
        )??;
        let empty = |field: &str| InputFailure::new(path.field(field), "must not be empty");
        match &entry {
            CacheFrom::Local(l) if l.src.trim().is_empty() => Err(empty("local").field("src")),
            CacheFrom::Raw(r) if r.trim().is_empty() => Err(empty("raw")),
            _ => Ok(entry),
        }
    }
}

impl CacheToInput {
    /// Whether the entry is switched off: `disabled`, or no backend set
    /// (the official provider skips such an entry, which a program that
    /// fills its entries conditionally relies on).
    pub fn is_disabled(&self) -> bool {
        let nothing = CacheToInput {
            disabled: self.disabled,
            ..Default::default()
        };
        self.disabled.unwrap_or(false) || *self == nothing
    }

    /// The one backend this entry names.
    pub fn validate(&self, path: &PropertyPath) -> Result<CacheTo, InputFailure> {
        let CacheToInput {
            azblob,
            disabled: _,
            gha,
            inline,
            local,
            raw,
            registry,
            s3,
        } = self.clone();
        let entry = exactly_one(
            path,
            "cacheTo",
            vec![
                ("azblob", azblob.map(|a| Ok(CacheTo::AzBlob(a)))),
                ("gha", gha.map(|g| Ok(CacheTo::Gha(g)))),
                ("inline", inline.map(|_| Ok(CacheTo::Inline))),
                ("local", local.map(|l| Ok(CacheTo::Local(l)))),
                ("raw", raw.map(|r| Ok(CacheTo::Raw(r)))),
                (
                    "registry",
                    registry.map(|r| r.parsed(path).map(CacheTo::Registry)),
                ),
                ("s3", s3.map(|s| Ok(CacheTo::S3(s)))),
            ],
        )??;
        let empty = |field: &str| InputFailure::new(path.field(field), "must not be empty");
        match &entry {
            CacheTo::Local(l) if l.dest.trim().is_empty() => Err(empty("local").field("dest")),
            CacheTo::Raw(r) if r.trim().is_empty() => Err(empty("raw")),
            _ => Ok(entry),
        }
    }
}

/// A registry cache's `ref` is an image reference, parsed here (at
/// Check, with its property path) rather than found wrong by BuildKit, and
/// never parsed again.
fn parse_ref(path: &PropertyPath, reference: &str) -> Result<Reference, InputFailure> {
    let at = || path.field("registry").field("ref");
    if reference.trim().is_empty() {
        return Err(InputFailure::new(at(), "must not be empty"));
    }
    Reference::parse(reference)
        .map_err(|why| InputFailure::new(at(), format!("is not an image reference: {why}")))
}

impl RegistryFrom {
    /// This entry with its ref parsed; `path` is the entry's.
    fn parsed(self, path: &PropertyPath) -> Result<RegistryFrom<Reference>, InputFailure> {
        Ok(RegistryFrom {
            reference: parse_ref(path, &self.reference)?,
        })
    }
}

impl RegistryTo {
    /// This entry with its ref parsed; `path` is the entry's.
    fn parsed(self, path: &PropertyPath) -> Result<RegistryTo<Reference>, InputFailure> {
        let RegistryTo {
            reference,
            oci_media_types,
            image_manifest,
            export,
            compression,
        } = self;
        Ok(RegistryTo {
            reference: parse_ref(path, &reference)?,
            oci_media_types,
            image_manifest,
            export,
            compression,
        })
    }
}

trait FieldOf {
    fn field(self, name: &str) -> Self;
}

impl FieldOf for InputFailure {
    fn field(mut self, name: &str) -> Self {
        self.property = self.property.field(name);
        self
    }
}

/// A registry cache import of `reference`.
pub fn cache_from_registry(reference: &Reference) -> RegistryFrom<Reference> {
    RegistryFrom {
        reference: reference.clone(),
    }
}

/// A registry cache export of `reference` in the form every registry,
/// AWS ECR included, accepts: all stages, an OCI image manifest (ECR
/// rejects an index), and a failed export that does not fail the build.
pub fn cache_to_registry(reference: &Reference) -> RegistryTo<Reference> {
    RegistryTo {
        reference: reference.clone(),
        oci_media_types: Some(true),
        image_manifest: Some(true),
        export: ExportSettings {
            mode: Some("max".to_owned()),
            ignore_error: Some(true),
        },
        compression: Compression::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_path() -> PropertyPath {
        PropertyPath::key("cacheTo").index(0)
    }

    #[test]
    fn a_registry_entry_carries_its_ref_parsed_and_renders_it_as_written() {
        let input = CacheToInput {
            registry: Some(RegistryTo {
                reference: "127.0.0.1:5000/team/app:cache".into(),
                image_manifest: Some(true),
                ..RegistryTo::default()
            }),
            ..CacheToInput::default()
        };
        let Ok(CacheTo::Registry(registry)) = input.validate(&entry_path()) else {
            panic!("a registry entry");
        };
        assert_eq!(registry.reference.registry().as_str(), "127.0.0.1:5000");
        assert_eq!(registry.reference.tag.as_deref(), Some("cache"));
        assert_eq!(registry.image_manifest, Some(true), "settings kept");
        assert_eq!(
            registry.reference.to_string(),
            "127.0.0.1:5000/team/app:cache"
        );
    }

    #[test]
    fn two_backends_are_named_before_a_bad_ref() {
        let input = CacheFromInput {
            registry: Some(RegistryFrom {
                reference: "Not A Ref".into(),
            }),
            raw: Some("type=gha".into()),
            ..CacheFromInput::default()
        };
        let failure = input.validate(&entry_path()).unwrap_err();
        assert_eq!(failure.property.to_string(), "cacheTo[0]");
        assert!(
            failure.reason.contains("`raw` and `registry`"),
            "{failure:?}"
        );
        let bad = CacheFromInput {
            registry: Some(RegistryFrom {
                reference: "Not A Ref".into(),
            }),
            ..CacheFromInput::default()
        };
        let failure = bad.validate(&entry_path()).unwrap_err();
        assert_eq!(failure.property.to_string(), "cacheTo[0].registry.ref");
    }
}
