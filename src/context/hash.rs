//! The context hash: one SHA-256 over everything local a build can read.
//!
//! Folded in a fixed order: the Dockerfile's contents (hashed even when
//! `.dockerignore` excludes it, since the build still reads it), then for
//! the main context and each named context (by name), every non-excluded
//! file in sorted path order as (path, kind, content digest). A file's kind
//! records only what survives a checkout everywhere: regular, executable
//! (owner `x` bit) or symlink (whose *target* is hashed, not what it points
//! to). Timestamps, owners, umask-dependent group/other bits and empty
//! directories never count. Any read error is an error, never a hash.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::dockerignore::IgnoreRules;

/// A failure to read something the hash needs.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path} to hash the build context: {source}")]
pub struct HashError {
    /// The file or directory that could not be read.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// A local directory with the ignore rules that apply to it.
#[derive(Debug, Clone)]
pub struct LocalContext {
    /// The directory.
    pub root: PathBuf,
    /// Its `.dockerignore` rules.
    pub ignore: IgnoreRules,
}

impl LocalContext {
    /// A context whose rules come from `ignore_file` if it exists, else from
    /// `<root>/.dockerignore`.
    pub fn open(root: PathBuf, ignore_file: Option<&Path>) -> Result<LocalContext, HashError> {
        let preferred = ignore_file.filter(|p| p.is_file());
        let file = preferred.map_or_else(|| root.join(".dockerignore"), Path::to_path_buf);
        let ignore = IgnoreRules::load(&file).map_err(|source| HashError { path: file, source })?;
        Ok(LocalContext { root, ignore })
    }
}

/// Everything local that goes into a context hash.
#[derive(Debug, Clone, Default)]
pub struct ContextSources {
    /// The Dockerfile on disk, if it is a local file.
    pub dockerfile: Option<PathBuf>,
    /// The main context, if local.
    pub main: Option<LocalContext>,
    /// Local named contexts, by name.
    pub named: Vec<(String, LocalContext)>,
}

/// Hex SHA-256 over `sources`.
pub fn hash_context(sources: &ContextSources) -> Result<String, HashError> {
    let mut hasher = Sha256::new();
    if let Some(dockerfile) = &sources.dockerfile {
        let digest = file_digest(dockerfile)?;
        hasher.update(b"dockerfile\0");
        hasher.update(digest);
    }
    if let Some(main) = &sources.main {
        hasher.update(b"context\0");
        fold_tree(&mut hasher, main)?;
    }
    let mut named: Vec<&(String, LocalContext)> = sources.named.iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, context) in named {
        hasher.update(b"named\0");
        hasher.update(name.as_bytes());
        hasher.update(b"\0");
        fold_tree(&mut hasher, context)?;
    }
    Ok(hex(&hasher.finalize()))
}

/// One hashed entry of a tree.
struct Entry {
    path: String,
    kind: u8,
    digest: [u8; 32],
}

fn fold_tree(hasher: &mut Sha256, context: &LocalContext) -> Result<(), HashError> {
    let mut entries = Vec::new();
    walk(context, &context.root, "", &mut entries)?;
    // Sorting by the full relative path keeps the hash independent of the
    // order directories were read in.
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    hasher.update((entries.len() as u64).to_le_bytes());
    for entry in entries {
        hasher.update((entry.path.len() as u64).to_le_bytes());
        hasher.update(entry.path.as_bytes());
        hasher.update([entry.kind]);
        hasher.update(entry.digest);
    }
    Ok(())
}

fn walk(
    context: &LocalContext,
    dir: &Path,
    prefix: &str,
    out: &mut Vec<Entry>,
) -> Result<(), HashError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HashError { path, source }
    };
    for item in std::fs::read_dir(dir).map_err(error(dir))? {
        let item = item.map_err(error(dir))?;
        let name = item.file_name();
        let Some(name) = name.to_str() else {
            // Not valid UTF-8: hash its raw bytes lossily but still hash it,
            // so such a file is never silently left out.
            let lossy = item.file_name().to_string_lossy().into_owned();
            hash_entry(context, &item.path(), &join(prefix, &lossy), out)?;
            continue;
        };
        let relative = join(prefix, name);
        hash_entry(context, &item.path(), &relative, out)?;
    }
    Ok(())
}

fn hash_entry(
    context: &LocalContext,
    path: &Path,
    relative: &str,
    out: &mut Vec<Entry>,
) -> Result<(), HashError> {
    let metadata = std::fs::symlink_metadata(path).map_err(|source| HashError {
        path: path.to_path_buf(),
        source,
    })?;
    let file_type = metadata.file_type();
    let excluded = context.ignore.is_excluded(relative);
    if file_type.is_dir() {
        // An excluded directory can only hold included files when some `!`
        // rule exists; otherwise nothing below it can count.
        if excluded && !context.ignore.has_exceptions() {
            return Ok(());
        }
        return walk(context, path, relative, out);
    }
    if excluded {
        return Ok(());
    }
    let (kind, digest) = if file_type.is_symlink() {
        let target = std::fs::read_link(path).map_err(|source| HashError {
            path: path.to_path_buf(),
            source,
        })?;
        (
            b'l',
            Sha256::digest(target.as_os_str().as_encoded_bytes()).into(),
        )
    } else if file_type.is_file() {
        let kind = if metadata.permissions().mode() & 0o100 != 0 {
            b'x'
        } else {
            b'-'
        };
        (kind, file_digest(path)?)
    } else {
        // Sockets, FIFOs and devices are not sent to the builder.
        return Ok(());
    };
    out.push(Entry {
        path: relative.to_owned(),
        kind,
        digest,
    });
    Ok(())
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

fn file_digest(path: &Path) -> Result<[u8; 32], HashError> {
    let error = |source| HashError {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = std::io::Read::read(&mut file, &mut buffer).map_err(error)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
