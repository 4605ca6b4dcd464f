//! The official provider's `contextHash`, computed only to recognise it.
//!
//! A stack whose state was written by `pulumi/pulumi-docker-build` holds
//! that provider's hash, which ours never equals. To switch such a stack
//! without a rebuild, Diff computes the official value for the same files
//! once and, when it equals the stored one, treats the context as
//! unchanged. The algorithm, as read in the official `context.go`: one
//! SHA-256 stream of the Dockerfile's bytes (when it is a local file),
//! then, for the main context and each local named context in name order,
//! every regular file or symlink `.dockerignore` leaves in, in the order
//! Go's `fsutil` walk visits them (depth first, names sorted by byte):
//! the bytes it opens to (a link's target; a link to a directory counts
//! for nothing), the slash-separated relative path, then Go's
//! `FileMode.String()` of the entry. Named contexts were walked with the
//! main context's rules by older releases and with their own
//! `.dockerignore` by newer ones: both are tried.
//!
//! That stream reads every byte, so a match is remembered ([`OfficialMemo`]):
//! "the official hash H described the tree whose hash of ours was K". A
//! later Diff that finds our hash still K needs no read at all. The memo
//! lives in memory and, beside the stat indexes, on disk, so the next
//! preview (a new process) is as cheap as our own no-op.

use std::collections::HashMap;
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::dockerignore::IgnoreRules;
use super::walk::Filter;

/// The local sources of the official hash.
#[derive(Debug, Clone, Default)]
pub struct OfficialSources {
    /// The Dockerfile, when it is a local file.
    pub dockerfile: Option<PathBuf>,
    /// The main context directory with its rules, when local.
    pub main: Option<(PathBuf, IgnoreRules)>,
    /// Local named contexts by name, each with its own `.dockerignore`.
    pub named: Vec<(String, PathBuf, IgnoreRules)>,
}

impl OfficialSources {
    /// Whether `stored` is a value the official provider could have stored
    /// for these files. Its releases walked named contexts with their own
    /// rules or with the main context's; the second variant is read only
    /// when the first does not match and could differ.
    pub fn produced(&self, stored: &str) -> std::io::Result<bool> {
        if self.hash(false)? == stored {
            return Ok(true);
        }
        let rules_differ = !self.named.is_empty() && self.main.is_some();
        Ok(rules_differ && self.hash(true)? == stored)
    }

    /// The hash, with named contexts walked by the main context's rules
    /// (`main_rules`) or by their own.
    pub fn hash(&self, main_rules: bool) -> std::io::Result<String> {
        let mut hasher = Sha256::new();
        if let Some(dockerfile) = self.dockerfile.as_ref().filter(|d| d.is_file()) {
            hasher.update(std::fs::read(dockerfile)?);
        }
        let empty = IgnoreRules::default();
        let main_ignore = self.main.as_ref().map_or(&empty, |(_, rules)| rules);
        if let Some((root, rules)) = &self.main {
            walk(&mut hasher, root, rules)?;
        }
        let mut named: Vec<&(String, PathBuf, IgnoreRules)> = self.named.iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, root, own) in named {
            walk(
                &mut hasher,
                root,
                if main_rules { main_ignore } else { own },
            )?;
        }
        Ok(hex(&hasher.finalize()))
    }
}

/// Folds every kept file below `root` into `hasher`, in Go's walk order.
fn walk(hasher: &mut Sha256, root: &Path, ignore: &IgnoreRules) -> std::io::Result<()> {
    if !root.is_dir() {
        return Ok(());
    }
    let filter = Filter { ignore, only: None };
    visit(hasher, &filter, root, "")
}

fn visit(
    hasher: &mut Sha256,
    filter: &Filter<'_>,
    dir: &Path,
    prefix: &str,
) -> std::io::Result<()> {
    let mut items: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    items.sort_by(|a, b| a.file_name().as_bytes().cmp(b.file_name().as_bytes()));
    for item in items {
        let name = item.file_name();
        let name = name.to_string_lossy();
        let relative = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let metadata = std::fs::symlink_metadata(item.path())?;
        let kind = metadata.file_type();
        if kind.is_dir() {
            if filter.enters_dir(&relative) {
                visit(hasher, filter, &item.path(), &relative)?;
            }
            continue;
        }
        if !(kind.is_file() || kind.is_symlink()) || !filter.keeps_file(&relative) {
            continue;
        }
        // Opening follows a link; a link to a directory reads as EISDIR,
        // which the official walk skips without writing its name.
        let mut file = std::fs::File::open(item.path())?;
        if file.metadata()?.is_dir() {
            continue;
        }
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        hasher.update(relative.as_bytes());
        hasher.update(go_mode_string(metadata.permissions().mode(), kind.is_symlink()).as_bytes());
    }
    Ok(())
}

/// Go's `FileMode.String()` of a regular file or symlink with Unix mode
/// bits `mode`: type and special letters, then `rwxrwxrwx`.
pub fn go_mode_string(mode: u32, symlink: bool) -> String {
    let mut text = String::new();
    // Go's order of letters: d a l T L D p S u g c t ?; of those, only L,
    // u (setuid), g (setgid) and t (sticky) occur for these entries.
    if symlink {
        text.push('L');
    }
    for (bit, letter) in [(0o4000, 'u'), (0o2000, 'g'), (0o1000, 't')] {
        if mode & bit != 0 {
            text.push(letter);
        }
    }
    if text.is_empty() {
        text.push('-');
    }
    for (i, letter) in "rwxrwxrwx".chars().enumerate() {
        let bit = 1 << (8 - i);
        text.push(if mode & bit != 0 { letter } else { '-' });
    }
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Matches of official hashes remembered: official value → our hash of
/// the same tree at the time it matched.
#[derive(Debug)]
pub struct OfficialMemo {
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, String>>,
}

impl OfficialMemo {
    /// A memo kept in memory and, when given, under `cache_dir`.
    pub fn new(cache_dir: Option<PathBuf>) -> OfficialMemo {
        OfficialMemo {
            dir: cache_dir.map(|d| d.join("official")),
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `stored` has the shape of an official hash at all (64
    /// lowercase hex digits); nothing else is worth computing for.
    pub fn could_be_official(stored: &str) -> bool {
        is_sha256_hex(stored)
    }

    /// Whether `stored` (not ours) describes the files whose hash of ours
    /// is `ours`: from the memo when it says so, else by computing the
    /// official value from the `sources` (made only then) and remembering
    /// a match.
    pub fn matches(
        &self,
        stored: &str,
        ours: &str,
        sources: impl FnOnce() -> std::io::Result<OfficialSources>,
    ) -> bool {
        if !is_sha256_hex(stored) {
            return false;
        }
        if self.recall(stored).as_deref() == Some(ours) {
            return true;
        }
        match sources().and_then(|sources| sources.produced(stored)) {
            Ok(true) => {
                self.remember(stored, ours);
                true
            }
            Ok(false) => false,
            Err(e) => {
                // The official hash failed on the same error: not a match,
                // so the image rebuilds, as the official provider would.
                tracing::debug!("could not compute the official context hash: {e}");
                false
            }
        }
    }

    fn recall(&self, stored: &str) -> Option<String> {
        if let Some(found) = self.lock().get(stored) {
            return Some(found.clone());
        }
        let text = std::fs::read_to_string(self.dir.as_ref()?.join(stored)).ok()?;
        let ours = text.trim().to_owned();
        self.lock().insert(stored.to_owned(), ours.clone());
        Some(ours)
    }

    fn remember(&self, stored: &str, ours: &str) {
        self.lock().insert(stored.to_owned(), ours.to_owned());
        let Some(dir) = &self.dir else { return };
        // Written beside and renamed, so no reader sees half a line; a
        // directory that can't be written costs speed, never correctness.
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            let temporary = dir.join(format!(".{stored}.{}", std::process::id()));
            std::fs::write(&temporary, ours)?;
            std::fs::rename(&temporary, dir.join(stored))
        });
        if let Err(e) = written {
            tracing::debug!("could not remember an official context hash: {e}");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Only a 64-digit lowercase hex value can name a memo file.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
#[path = "official_tests.rs"]
mod tests;
