//! The OCI and Docker manifest formats, as far as joining images into one
//! index needs them, and the join itself as pure data: which descriptors
//! the index lists and in which format, the way `docker buildx imagetools
//! create` (v0.35, which the official provider links) combines its sources.
//!
//! Field order and indentation follow Go's `encoding/json` of the
//! `image-spec` types, so an index joined here has the digest the official
//! provider's would have for the same sources.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::model::platform::normalize_arch;

/// An OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// A Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// A Docker image manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Whether `media_type` lists other manifests.
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// Whether `media_type` is a single image's manifest.
pub fn is_manifest(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}

/// A content descriptor (image-spec `Descriptor`, fields in its order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of what it points at.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Where else the content may be fetched from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Annotations (attestation manifests carry their subject here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Embedded content, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The platform of an image in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The artifact type of an artifact manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

/// A platform (image-spec `Platform`, fields in its order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`).
    #[serde(default)]
    pub architecture: String,
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// Operating system version (Windows).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// Operating system features (Windows).
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// CPU variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// CPU features.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// An image index or manifest list (image-spec `Index`, fields in its order).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// [`OCI_INDEX`] or [`DOCKER_LIST`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// The artifact type, for an artifact index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// What it lists.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest it refers to, for a referrer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Index annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The parts of an image manifest a copy walks: its config and layers.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// The image config.
    pub config: Descriptor,
    /// The layers.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// The parts of an image config that say its platform.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigPlatform {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default)]
    pub variant: String,
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut text = String::with_capacity(71);
    text.push_str("sha256:");
    for byte in hash {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The media type a manifest declares in its own `mediaType` field, for a
/// registry that answered without a usable `Content-Type`.
pub fn declared_media_type(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Declared {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
        config: Option<serde_json::Value>,
    }
    let declared: Declared = serde_json::from_slice(body).ok()?;
    declared.media_type.or_else(|| {
        // An OCI document may leave out `mediaType`: its shape tells.
        match (declared.manifests.is_some(), declared.config.is_some()) {
            (true, false) => Some(OCI_INDEX.to_owned()),
            (false, true) => Some(OCI_MANIFEST.to_owned()),
            _ => None,
        }
    })
}

/// One source of a join, resolved: its descriptor (a single image's with
/// its platform filled in) and, for an index, what it lists.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The source's own descriptor.
    pub descriptor: Descriptor,
    /// The source's manifest bytes as the registry served them.
    pub body: Vec<u8>,
    /// For an index, its entries; empty for a single image.
    pub entries: Vec<Descriptor>,
}

/// A joined index: its bytes, their digest and media type, and for each
/// entry which source it came from (by position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combined {
    /// The manifest to push, exactly as pushed.
    pub body: Vec<u8>,
    /// Its media type.
    pub media_type: String,
    /// Its digest.
    pub digest: String,
    /// The descriptors it lists, each with the position of its source.
    pub entries: Vec<(Descriptor, usize)>,
}

/// Joins `sources` into one index. A single source that is already an
/// index is pushed as it is (same digest); a single image becomes an index
/// of one, as buildx's `--prefer-index` default does. Entries with one
/// digest are merged; the index is a Docker manifest list when every entry
/// is a Docker type, an OCI index otherwise.
pub fn combine(sources: &[Resolved]) -> Result<Combined, String> {
    if let [only] = sources
        && is_index(&only.descriptor.media_type)
    {
        let entries = only.entries.iter().map(|d| (d.clone(), 0)).collect();
        return Ok(Combined {
            digest: digest_of(&only.body),
            media_type: only.descriptor.media_type.clone(),
            body: only.body.clone(),
            entries,
        });
    }
    let mut entries: Vec<(Descriptor, usize)> = Vec::new();
    for (position, source) in sources.iter().enumerate() {
        let listed = if is_index(&source.descriptor.media_type) {
            source.entries.clone()
        } else {
            vec![source.descriptor.clone()]
        };
        for descriptor in listed {
            add_entry(&mut entries, descriptor, position);
        }
    }
    let all_docker = entries
        .iter()
        .all(|(d, _)| d.media_type.starts_with("application/vnd.docker."));
    let media_type = if all_docker { DOCKER_LIST } else { OCI_INDEX };
    let index = Index {
        schema_version: 2,
        media_type: media_type.to_owned(),
        artifact_type: None,
        manifests: entries.iter().map(|(d, _)| d.clone()).collect(),
        subject: None,
        annotations: BTreeMap::new(),
    };
    let body = serde_json::to_vec_pretty(&index).map_err(|e| e.to_string())?;
    Ok(Combined {
        digest: digest_of(&body),
        media_type: media_type.to_owned(),
        body,
        entries,
    })
}

/// Adds `descriptor`, or merges it into the entry with its digest: the
/// later media type fills a missing one, a later platform wins, annotations
/// are merged.
fn add_entry(entries: &mut Vec<(Descriptor, usize)>, descriptor: Descriptor, position: usize) {
    match entries
        .iter_mut()
        .find(|(d, _)| d.digest == descriptor.digest)
    {
        Some((old, source)) => {
            if old.media_type.is_empty() {
                old.media_type = descriptor.media_type;
            }
            if descriptor.platform.is_some() {
                old.platform = descriptor.platform;
            }
            old.annotations.extend(descriptor.annotations);
            *source = position;
        }
        None => entries.push((descriptor, position)),
    }
}

/// The platform an image config declares, as containerd normalizes it
/// (`x86_64` is `amd64`, `aarch64` is `arm64`, whose `v8` is implied).
pub fn normalized_platform(config: &ConfigPlatform) -> Platform {
    let os = config.os.to_ascii_lowercase();
    let (architecture, variant) = normalize_arch(&config.architecture, &config.variant);
    Platform {
        architecture,
        os,
        variant,
        ..Platform::default()
    }
}

#[cfg(test)]
#[path = "oci_tests.rs"]
mod tests;
