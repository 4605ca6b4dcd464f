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
//!
//! Files are read on every core; digests are folded in sorted path order,
//! so the result does not depend on threads or walk order. A digest seen
//! before is reused when the file's stat data shows it unchanged (see
//! `index`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::dockerignore::IgnoreRules;
use super::index::{StatIndex, default_cache_dir, index_file, now_ns, save};
use super::walk::{Entry, EntryKind, Stat, walk};

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
    /// Only these paths of the main context count (the build's `COPY`/`ADD`
    /// sources), when known; `None` means the whole context.
    pub only: Option<IgnoreRules>,
    /// Local named contexts, by name.
    pub named: Vec<(String, LocalContext)>,
}

/// What a hash cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    /// Files in the hashed set.
    pub files: usize,
    /// Files read and hashed.
    pub read: usize,
    /// Bytes read.
    pub bytes_read: u64,
    /// Files whose digest came from an index.
    pub from_index: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// Hashes contexts on several threads, remembering file digests in
/// memory for the life of the process and, with a cache directory, on
/// disk between runs.
#[derive(Debug)]
pub struct ContextHasher {
    threads: usize,
    cache_dir: Option<PathBuf>,
    /// Per context root: digests seen by this process, trusted on an exact
    /// stat match (Diff and then Create never read a file twice).
    memory: Mutex<HashMap<PathBuf, StatIndex>>,
}

impl ContextHasher {
    /// A hasher with `threads` workers and an optional index directory.
    pub fn new(threads: usize, cache_dir: Option<PathBuf>) -> ContextHasher {
        ContextHasher {
            threads: threads.max(1),
            cache_dir,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// A hasher using every core and the user's cache directory.
    pub fn with_defaults() -> ContextHasher {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        ContextHasher::new(threads, default_cache_dir())
    }

    /// Hex SHA-256 over `sources`, and what it cost.
    pub fn hash(&self, sources: &ContextSources) -> Result<(String, HashStats), HashError> {
        let started = Instant::now();
        let mut stats = HashStats::default();
        let mut hasher = Sha256::new();
        if let Some(dockerfile) = &sources.dockerfile {
            let digest = file_digest(dockerfile)?;
            stats.read += 1;
            hasher.update(b"dockerfile\0");
            hasher.update(digest);
        }
        if let Some(main) = &sources.main {
            hasher.update(b"context\0");
            self.fold_tree(&mut hasher, main, sources.only.as_ref(), &mut stats)?;
        }
        let mut named: Vec<&(String, LocalContext)> = sources.named.iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, context) in named {
            hasher.update(b"named\0");
            hasher.update(name.as_bytes());
            hasher.update(b"\0");
            self.fold_tree(&mut hasher, context, None, &mut stats)?;
        }
        stats.elapsed = started.elapsed();
        Ok((hex(&hasher.finalize()), stats))
    }

    fn fold_tree(
        &self,
        hasher: &mut Sha256,
        context: &LocalContext,
        only: Option<&IgnoreRules>,
        stats: &mut HashStats,
    ) -> Result<(), HashError> {
        let walk_started = now_ns();
        let mut entries = walk(context, only)?;
        // Sorting by the full relative path keeps the hash independent of
        // the order directories were read in and of the thread count.
        entries.sort_by(|a, b| a.relative.cmp(&b.relative));
        let index_file = self
            .cache_dir
            .as_ref()
            .map(|dir| index_file(dir, &context.root));
        let on_disk = index_file
            .as_deref()
            .map(StatIndex::load)
            .unwrap_or_default();
        let read_before = stats.read;
        let digests = {
            let memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
            let in_memory = memory.get(&context.root);
            let known: Vec<Option<[u8; 32]>> = entries
                .iter()
                .map(|e| {
                    in_memory
                        .and_then(|m| m.lookup_exact(&e.relative, &e.stat))
                        .or_else(|| on_disk.lookup(&e.relative, &e.stat))
                })
                .collect();
            drop(memory);
            stats.from_index += known.iter().filter(|d| d.is_some()).count();
            self.digest_missing(&entries, known, stats)?
        };
        stats.files += entries.len();
        hasher.update((entries.len() as u64).to_le_bytes());
        for (entry, digest) in entries.iter().zip(&digests) {
            let kind = match entry.kind {
                EntryKind::Symlink => b'l',
                EntryKind::File { executable: true } => b'x',
                EntryKind::File { executable: false } => b'-',
            };
            hasher.update((entry.relative.len() as u64).to_le_bytes());
            hasher.update(entry.relative.as_bytes());
            hasher.update([kind]);
            hasher.update(digest);
        }
        let recorded: Vec<(String, Stat, [u8; 32])> = entries
            .iter()
            .zip(&digests)
            .map(|(e, d)| (e.relative.clone(), e.stat, *d))
            .collect();
        if let Some(file) = index_file
            && stats.read > read_before
        {
            // An index that can't be written costs speed, never correctness.
            if let Err(e) = save(&file, &recorded, walk_started) {
                tracing::debug!("could not write the context index {}: {e}", file.display());
            }
        }
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(context.root.clone(), StatIndex::from_entries(recorded));
        Ok(())
    }

    /// Fills in the digests not known yet, reading files on all workers.
    fn digest_missing(
        &self,
        entries: &[Entry],
        known: Vec<Option<[u8; 32]>>,
        stats: &mut HashStats,
    ) -> Result<Vec<[u8; 32]>, HashError> {
        let pending: Vec<usize> = known
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_none())
            .map(|(i, _)| i)
            .collect();
        let next = AtomicUsize::new(0);
        let workers = self.threads.min(pending.len()).max(1);
        let results: Vec<Result<Vec<Hashed>, HashError>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..workers)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut done = Vec::new();
                            loop {
                                let slot = next.fetch_add(1, Ordering::Relaxed);
                                let Some(&i) = pending.get(slot) else {
                                    return Ok(done);
                                };
                                let entry = &entries[i];
                                let digest = entry_digest(entry)?;
                                let read = if matches!(entry.kind, EntryKind::File { .. }) {
                                    entry.stat.size
                                } else {
                                    0
                                };
                                done.push((i, digest, read));
                            }
                        })
                    })
                    .collect();
                // Invariant: workers return errors as values; a panic in one is
                // a defect worth propagating.
                handles
                    .into_iter()
                    .map(|h| h.join().expect("hashing worker panicked"))
                    .collect()
            });
        let mut digests: Vec<[u8; 32]> = known.into_iter().map(|d| d.unwrap_or_default()).collect();
        for batch in results {
            for (i, digest, read) in batch? {
                digests[i] = digest;
                stats.read += 1;
                stats.bytes_read += read;
            }
        }
        Ok(digests)
    }
}

/// One file read by a worker: its position, digest and bytes read.
type Hashed = (usize, [u8; 32], u64);

/// Hex SHA-256 over `sources`, on all cores, without any index.
pub fn hash_context(sources: &ContextSources) -> Result<String, HashError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(ContextHasher::new(threads, None).hash(sources)?.0)
}

fn entry_digest(entry: &Entry) -> Result<[u8; 32], HashError> {
    match entry.kind {
        EntryKind::Symlink => {
            let target = std::fs::read_link(&entry.path).map_err(|source| HashError {
                path: entry.path.clone(),
                source,
            })?;
            Ok(Sha256::digest(target.as_os_str().as_encoded_bytes()).into())
        }
        EntryKind::File { .. } => file_digest(&entry.path),
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
