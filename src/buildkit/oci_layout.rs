//! The `index.json` of an OCI layout on disk, kept as BuildKit's own
//! client keeps it after a solve: a local cache directory names its
//! newest cache manifest by tag (`latest` unless the entry's `tag` says),
//! and an `oci` export to a directory names the image by each of its tags
//! (`io.containerd.image.name`, with the tag alone as the OCI ref name).
//! An entry with the same names is replaced; the index is written to a
//! temporary file and renamed, so a reader never sees half of one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

/// The annotation an OCI layout's `index.json` names a manifest by.
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's annotation with the image's full name.
const IMAGE_NAME: &str = "io.containerd.image.name";

/// An `index.json` to update once the solve is done, and from what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexUpdate {
    /// The layout directory.
    pub dir: PathBuf,
    /// What the new entry is.
    pub entry: LayoutEntry,
}

/// What a solve leaves in a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutEntry {
    /// A cache export's manifest (`cache.manifest`), under this tag.
    Cache(String),
    /// An exported image (`containerimage.descriptor`), under its names
    /// (`image.name`), or `latest` without one.
    Image,
}

/// The digest `index.json` in `dir` names `tag` by.
pub fn tagged(dir: &Path, tag: &str) -> Option<String> {
    let manifests = manifests(dir)?;
    let found = manifests
        .iter()
        .find(|m| m["annotations"][REF_NAME].as_str() == Some(tag))?;
    found["digest"].as_str().map(str::to_owned)
}

/// The digest of the image the layout in `dir` names `tag` by, as buildx
/// resolves an `oci-layout://` context: by full image name, then by OCI
/// ref name, then the layout's only image.
pub fn resolve(dir: &Path, tag: &str) -> Option<String> {
    let manifests = manifests(dir)?;
    let named = |key: &str| {
        manifests
            .iter()
            .find(|m| !tag.is_empty() && m["annotations"][key].as_str() == Some(tag))
    };
    let found = named(IMAGE_NAME).or_else(|| named(REF_NAME));
    let found = found.or(match manifests.as_slice() {
        [only] => Some(only),
        _ => None,
    })?;
    found["digest"].as_str().map(str::to_owned)
}

/// The manifests `index.json` in `dir` lists; none when it cannot be read.
fn manifests(dir: &Path) -> Option<Vec<Value>> {
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).ok()?).ok()?;
    match index {
        Value::Object(mut index) => match index.remove("manifests") {
            Some(Value::Array(manifests)) => Some(manifests),
            _ => None,
        },
        _ => None,
    }
}

/// Records what `response` says the solve left in `update`'s layout.
pub fn record(update: &IndexUpdate, response: &BTreeMap<String, String>) -> Result<(), String> {
    match &update.entry {
        LayoutEntry::Cache(tag) => {
            let descriptor = response
                .get("cache.manifest")
                .ok_or("BuildKit exported no cache manifest")?;
            let descriptor = serde_json::from_str(descriptor).map_err(|e| e.to_string())?;
            put(&update.dir, descriptor, &[(None, tag.clone())]).map_err(|e| e.to_string())
        }
        LayoutEntry::Image => {
            let encoded = response
                .get("containerimage.descriptor")
                .ok_or("BuildKit described no exported image")?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| e.to_string())?;
            let descriptor = serde_json::from_slice(&decoded).map_err(|e| e.to_string())?;
            let names: Vec<(Option<String>, String)> = match response.get("image.name") {
                Some(names) => names
                    .split(',')
                    .map(|n| (Some(n.to_owned()), reference_name(n).to_owned()))
                    .collect(),
                None => vec![(None, "latest".to_owned())],
            };
            put(&update.dir, descriptor, &names).map_err(|e| e.to_string())
        }
    }
}

/// A name's tag (or digest) alone, as containerd's tar exporter names
/// the OCI reference.
fn reference_name(name: &str) -> &str {
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    if let Some(at) = name.find('@') {
        return &name[at + 1..];
    }
    match name[last_slash..].rfind(':') {
        Some(colon) => &name[last_slash + colon + 1..],
        None => name,
    }
}

/// Adds `descriptor` to the layout at `dir` once per `(image name, ref
/// name)`, replacing entries with the same pair; writes the layout marker.
fn put(dir: &Path, descriptor: Value, names: &[(Option<String>, String)]) -> std::io::Result<()> {
    let path = dir.join("index.json");
    let mut index: Value = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    index["schemaVersion"] = 2.into();
    index["mediaType"] = "application/vnd.oci.image.index.v1+json".into();
    let mut manifests = index["manifests"].as_array().cloned().unwrap_or_default();
    for (image, reference) in names {
        manifests.retain(|m| {
            m["annotations"][REF_NAME].as_str() != Some(reference.as_str())
                || m["annotations"][IMAGE_NAME].as_str() != image.as_deref()
        });
        let mut entry = descriptor.clone();
        if let Some(image) = image {
            entry["annotations"][IMAGE_NAME] = image.clone().into();
        }
        entry["annotations"][REF_NAME] = reference.clone().into();
        manifests.push(entry);
    }
    index["manifests"] = manifests.into();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temporary, &serde_json::to_vec(&index)?)?;
    temporary.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_cache_is_named_by_its_tag_and_replaces_the_last_one() {
        let dir = tempfile::tempdir().unwrap();
        let update = IndexUpdate {
            dir: dir.path().to_path_buf(),
            entry: LayoutEntry::Cache("latest".into()),
        };
        for c in ['a', 'b'] {
            let descriptor = format!(
                r#"{{"digest":"sha256:{}","size":1}}"#,
                c.to_string().repeat(64)
            );
            record(&update, &response(&[("cache.manifest", descriptor)])).unwrap();
        }
        assert_eq!(
            tagged(dir.path(), "latest"),
            Some(format!("sha256:{}", "b".repeat(64)))
        );
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
        assert!(dir.path().join("oci-layout").exists());
    }

    #[test]
    fn an_exported_image_is_named_by_each_tag() {
        let dir = tempfile::tempdir().unwrap();
        let update = IndexUpdate {
            dir: dir.path().to_path_buf(),
            entry: LayoutEntry::Image,
        };
        let descriptor = base64::engine::general_purpose::STANDARD.encode(format!(
            r#"{{"digest":"sha256:{}","size":1}}"#,
            "c".repeat(64)
        ));
        let names = "r.example:5000/app:1,r.example:5000/app:edge".to_owned();
        record(
            &update,
            &response(&[
                ("containerimage.descriptor", descriptor),
                ("image.name", names),
            ]),
        )
        .unwrap();
        assert!(tagged(dir.path(), "1").is_some() && tagged(dir.path(), "edge").is_some());
        assert_eq!(reference_name("r/app@sha256:00"), "sha256:00");
        assert_eq!(reference_name("r.example:5000/app"), "r.example:5000/app");
    }
}
