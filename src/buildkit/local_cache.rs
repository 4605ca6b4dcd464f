//! Local cache directories (`cacheFrom: local`, `cacheTo: local`) as
//! BuildKit's own client handles them: each directory is an OCI layout
//! the daemon reads and writes through the session's content store
//! (`local:<directory>`); an import names the cache manifest by digest,
//! found under its tag (`latest` unless `tag` says) in `index.json`; after
//! an export, `index.json` gets the new manifest under that tag, replacing
//! the one it had. A missing or empty directory to import from is a first
//! build: a warning, and the entry is left out.

use std::path::Path;

use super::session::SessionSpec;
use super::solve::{Entry, IndexUpdate};

/// The annotation an OCI layout's `index.json` names a manifest by.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Prepares an import entry: its directory absolute (as the store id),
/// offered as a content store, and its digest found by tag when not
/// given. `false` when there is nothing to import yet.
pub fn import(entry: &mut Entry, session: &mut SessionSpec, base: &Path) -> bool {
    let dir = base.join(entry.attrs.get("src").map_or("", String::as_str));
    let id = store_id(&dir);
    entry.attrs.insert("src".into(), dir.display().to_string());
    if !entry.attrs.contains_key("digest") {
        let tag = entry.attrs.get("tag").map_or("latest", String::as_str);
        match tagged(&dir, tag) {
            Some(digest) => {
                entry.attrs.insert("digest".into(), digest);
            }
            None => {
                tracing::warn!(
                    "no build cache in {} yet (no `{tag}` in its index.json): building without it",
                    dir.display()
                );
                return false;
            }
        }
    }
    session.content_stores.insert(id, dir);
    true
}

/// Prepares an export entry: its directory made and absolute, offered as
/// a content store; the `index.json` update that follows the solve, or
/// what is wrong.
pub fn export(
    entry: &mut Entry,
    session: &mut SessionSpec,
    base: &Path,
) -> Result<IndexUpdate, &'static str> {
    let dest = entry
        .attrs
        .get("dest")
        .ok_or("a local cache export without a destination")?;
    let dir = base.join(dest);
    std::fs::create_dir_all(&dir).map_err(|_| "a local cache directory that cannot be created")?;
    entry.attrs.insert("dest".into(), dir.display().to_string());
    session.content_stores.insert(store_id(&dir), dir.clone());
    let tag = entry
        .attrs
        .get("tag")
        .cloned()
        .unwrap_or_else(|| "latest".into());
    Ok(IndexUpdate { dir, tag })
}

/// The store id the daemon asks for: `local:` and the directory as the
/// entry names it.
fn store_id(dir: &Path) -> String {
    format!("local:{}", dir.display())
}

/// The digest `index.json` in `dir` names `tag` by.
fn tagged(dir: &Path, tag: &str) -> Option<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).ok()?).ok()?;
    index["manifests"]
        .as_array()?
        .iter()
        .find(|m| m["annotations"][REF_NAME].as_str() == Some(tag))
        .and_then(|m| m["digest"].as_str())
        .map(str::to_owned)
}

/// Points `update`'s `index.json` at the exported cache `descriptor` (the
/// solve's `cache.manifest`), replacing what had its tag; writes the
/// layout marker too. Written to a temporary file and renamed, so a
/// reader never sees half an index.
pub fn record_export(update: &IndexUpdate, descriptor: &str) -> std::io::Result<()> {
    let mut descriptor: serde_json::Value = serde_json::from_str(descriptor)?;
    descriptor["annotations"][REF_NAME] = serde_json::Value::String(update.tag.clone());
    let path = update.dir.join("index.json");
    let mut index: serde_json::Value = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    index["schemaVersion"] = 2.into();
    index["mediaType"] = "application/vnd.oci.image.index.v1+json".into();
    let mut manifests: Vec<serde_json::Value> = index["manifests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["annotations"][REF_NAME].as_str() != Some(update.tag.as_str()))
        .collect();
    manifests.push(descriptor);
    index["manifests"] = manifests.into();
    std::fs::write(
        update.dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let mut temporary = tempfile::NamedTempFile::new_in(&update.dir)?;
    std::io::Write::write_all(&mut temporary, &serde_json::to_vec(&index)?)?;
    temporary.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn an_export_is_found_by_the_next_import_under_its_tag() {
        let base = tempfile::tempdir().unwrap();
        let mut session = SessionSpec::default();
        let mut out = Entry {
            kind: "local".into(),
            attrs: BTreeMap::from([("dest".to_owned(), "cache".to_owned())]),
        };
        let update = export(&mut out, &mut session, base.path()).unwrap();
        let dir = base.path().join("cache");
        assert_eq!(out.attrs["dest"], dir.display().to_string());
        assert!(
            session
                .content_stores
                .contains_key(&format!("local:{}", dir.display()))
        );

        // Nothing exported yet: an import is a first build.
        let mut first = Entry {
            kind: "local".into(),
            attrs: BTreeMap::from([("src".to_owned(), "cache".to_owned())]),
        };
        assert!(!import(
            &mut first.clone(),
            &mut SessionSpec::default(),
            base.path()
        ));

        let digest = format!("sha256:{}", "a".repeat(64));
        let descriptor = format!(
            r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{digest}","size":10}}"#
        );
        record_export(&update, &descriptor).unwrap();
        let again = format!(r#"{{"digest":"sha256:{}","size":11}}"#, "b".repeat(64));
        record_export(&update, &again).unwrap();
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        assert_eq!(
            index["manifests"].as_array().unwrap().len(),
            1,
            "one per tag"
        );
        assert!(dir.join("oci-layout").exists());

        let mut session = SessionSpec::default();
        assert!(import(&mut first, &mut session, base.path()));
        assert_eq!(first.attrs["digest"], format!("sha256:{}", "b".repeat(64)));
        assert_eq!(session.content_stores.len(), 1);
    }
}
