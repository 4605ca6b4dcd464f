//! What a context hash reads: a local directory with its ignore rules,
//! and the error when something in it cannot be read.

use std::path::{Path, PathBuf};

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
