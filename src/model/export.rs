//! Build outputs (`exports`): wire shape, validation into one variant per
//! exporter, and `--output` rendering with BuildKit's attribute names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cache::Compression;
use crate::failure::InputFailure;
use crate::wire::PropertyPath;

/// An `exports` entry as declared: set exactly one exporter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct ExportInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cacheonly: Option<CacheOnly>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<Tarball>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageExport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<Tarball>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<ImageExport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar: Option<Destination>,
}

/// The cache-only exporter takes no settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct CacheOnly {}

/// A file or directory destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct Destination {
    #[serde(default)]
    pub dest: String,
}

/// Settings of the `image` and `registry` exporters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct ImageExport {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangling_name_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_canonical: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_media_types: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_by_digest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpack: Option<bool>,
    #[serde(flatten)]
    pub compression: Compression,
}

/// Settings of the `docker` and `oci` exporters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct Tarball {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_media_types: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar: Option<bool>,
    #[serde(flatten)]
    pub compression: Compression,
}

/// One validated export.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // one variant per exporter of schema.json's Export
pub enum Export {
    CacheOnly,
    Docker(Tarball),
    Image(ImageExport),
    Local(Destination),
    Oci(Tarball),
    Raw(String),
    /// The `image` exporter with `push` defaulting to true.
    Registry(ImageExport),
    Tar(Destination),
}

impl ExportInput {
    /// Whether the entry is switched off.
    pub fn is_disabled(&self) -> bool {
        self.disabled.unwrap_or(false)
    }

    /// The one exporter this entry names.
    pub fn validate(&self, path: &PropertyPath) -> Result<Export, InputFailure> {
        let ExportInput {
            cacheonly,
            disabled: _,
            docker,
            image,
            local,
            oci,
            raw,
            registry,
            tar,
        } = self.clone();
        let mut set: Vec<(&str, Export)> = [
            ("cacheonly", cacheonly.map(|_| Export::CacheOnly)),
            ("docker", docker.map(Export::Docker)),
            ("image", image.map(Export::Image)),
            ("local", local.map(Export::Local)),
            ("oci", oci.map(Export::Oci)),
            ("raw", raw.map(Export::Raw)),
            ("registry", registry.map(Export::Registry)),
            ("tar", tar.map(Export::Tar)),
        ]
        .into_iter()
        .filter_map(|(name, export)| export.map(|e| (name, e)))
        .collect();
        let export = match set.len() {
            1 => set.remove(0).1,
            0 => {
                return Err(InputFailure::new(
                    path.clone(),
                    "an export needs exactly one of: cacheonly, docker, image, local, oci, raw, registry, tar",
                ));
            }
            _ => {
                let names: Vec<String> = set.iter().map(|(n, _)| format!("`{n}`")).collect();
                return Err(InputFailure::new(
                    path.clone(),
                    format!(
                        "an export takes exactly one type, but {} are set; split it into several entries",
                        names.join(" and ")
                    ),
                ));
            }
        };
        required_settings(export, path)
    }
}

/// `export` unless a setting it needs is empty.
fn required_settings(export: Export, path: &PropertyPath) -> Result<Export, InputFailure> {
    match &export {
        Export::Local(d) | Export::Tar(d) if d.dest.trim().is_empty() => {
            let kind = if matches!(export, Export::Local(_)) {
                "local"
            } else {
                "tar"
            };
            Err(InputFailure::new(
                path.field(kind).field("dest"),
                "must not be empty",
            ))
        }
        Export::Raw(r) if r.trim().is_empty() => {
            Err(InputFailure::new(path.field("raw"), "must not be empty"))
        }
        _ => Ok(export),
    }
}

/// Export-specific parts of an `--output` value.
impl Export {
    /// Whether this export pushes to a registry.
    pub fn pushes(&self) -> bool {
        match self {
            Export::Registry(settings) => settings.push.unwrap_or(true),
            Export::Image(settings) => settings.push.unwrap_or(false),
            Export::Raw(raw) => {
                raw.contains("type=registry") || raw.contains("push=true") || raw.contains("push=1")
            }
            _ => false,
        }
    }

    /// Names this export gives the image itself.
    pub fn names(&self) -> &[String] {
        match self {
            Export::Registry(s) | Export::Image(s) => &s.names,
            Export::Docker(t) | Export::Oci(t) => &t.names,
            _ => &[],
        }
    }
}
