//! Local cache directories (`cacheFrom: local`, `cacheTo: local`) as
//! BuildKit's own client handles them: each directory is an OCI layout
//! the daemon reads and writes through the session's content store
//! (`local:<directory>`); an import names the cache manifest by digest,
//! found under its tag (`latest` unless `tag` says) in `index.json`; after
//! an export, `index.json` gets the new manifest under that tag, replacing
//! the one it had. A missing or empty directory to import from is a first
//! build: a warning, and the entry is left out.

use std::path::Path;

use super::oci_layout::{IndexUpdate, LayoutEntry, tagged};
use super::session::SessionSpec;
use super::solve::Entry;

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
    Ok(IndexUpdate {
        dir,
        entry: LayoutEntry::Cache(tag),
    })
}

/// The store id the daemon asks for: `local:` and the directory as the
/// entry names it.
fn store_id(dir: &Path) -> String {
    format!("local:{}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn local(attr: &str, value: &str) -> Entry {
        Entry {
            kind: "local".into(),
            attrs: BTreeMap::from([(attr.to_owned(), value.to_owned())]),
        }
    }

    #[test]
    fn an_export_is_a_store_and_an_import_of_nothing_yet_is_left_out() {
        let base = tempfile::tempdir().unwrap();
        let mut session = SessionSpec::default();
        let mut out = local("dest", "cache");
        let update = export(&mut out, &mut session, base.path()).unwrap();
        let dir = base.path().join("cache");
        assert!(dir.is_dir(), "made for the daemon to write into");
        assert_eq!(out.attrs["dest"], dir.display().to_string());
        assert_eq!(update.entry, LayoutEntry::Cache("latest".into()));
        assert_eq!(
            session.content_stores[&format!("local:{}", dir.display())],
            dir
        );

        let mut session = SessionSpec::default();
        let mut first = local("src", "cache");
        assert!(
            !import(&mut first, &mut session, base.path()),
            "no index.json yet"
        );
        assert!(session.content_stores.is_empty());

        let mut pinned = local("src", "cache");
        pinned
            .attrs
            .insert("digest".into(), format!("sha256:{}", "a".repeat(64)));
        assert!(
            import(&mut pinned, &mut session, base.path()),
            "a digest needs no index"
        );
        assert_eq!(session.content_stores.len(), 1);
    }
}
