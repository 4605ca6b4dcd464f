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
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::dockerignore::IgnoreRules;
use super::hash_cache::{HashCache, cache_file, default_cache_dir, now_ns, save};
use super::single_flight::SingleFlight;
use super::sources::{HashError, LocalContext};
use super::walk::{Entry, EntryKind, Stat, walk_with};

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
    memory: Mutex<HashMap<PathBuf, Arc<HashCache>>>,
    /// Trees being digested now, shared by the hashes that ask for them.
    trees: SingleFlight<TreeKey, Result<Arc<TreeDigests>, SharedHashError>>,
}

impl ContextHasher {
    /// A hasher with `threads` workers and an optional index directory.
    pub fn new(threads: usize, cache_dir: Option<PathBuf>) -> ContextHasher {
        ContextHasher {
            threads: threads.max(1),
            cache_dir,
            memory: Mutex::new(HashMap::new()),
            trees: SingleFlight::default(),
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

    /// Keeps `index` as this process's memory of the context at `root`.
    fn remember(&self, root: &Path, index: HashCache) {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(root.to_path_buf(), Arc::new(index));
    }

    /// Folds the tree of `context` into `hasher`: walked and read once
    /// however many hashes ask for it at the same time.
    fn fold_tree(
        &self,
        hasher: &mut Sha256,
        context: &LocalContext,
        only: Option<&IgnoreRules>,
        stats: &mut HashStats,
    ) -> Result<(), HashError> {
        let key = TreeKey {
            root: context.root.clone(),
            rules: format!("{:?}", context.ignore),
            only: format!("{only:?}"),
        };
        let root = context.root.clone();
        let (tree, led) = self.trees.run(
            key,
            || {
                self.digest_tree(context, only)
                    .map(Arc::new)
                    .map_err(|e| SharedHashError::from(&e))
            },
            || {
                Err(SharedHashError(
                    root.clone(),
                    "the hashing thread stopped".into(),
                ))
            },
        );
        let tree = tree.map_err(SharedHashError::into_error)?;
        if led {
            stats.read += tree.read;
            stats.bytes_read += tree.bytes_read;
            stats.from_index += tree.from_index;
        }
        stats.files += tree.entries.len();
        hasher.update((tree.entries.len() as u64).to_le_bytes());
        for (relative, kind, digest) in &tree.entries {
            hasher.update((relative.len() as u64).to_le_bytes());
            hasher.update(relative.as_bytes());
            hasher.update([*kind]);
            hasher.update(digest);
        }
        Ok(())
    }

    /// Walks `context` and digests every kept file (from the caches where
    /// the stat data allows), in path order.
    fn digest_tree(
        &self,
        context: &LocalContext,
        only: Option<&IgnoreRules>,
    ) -> Result<TreeDigests, HashError> {
        let mut stats = HashStats::default();
        let walk_started = now_ns();
        let cache_file = self
            .cache_dir
            .as_ref()
            .map(|dir| cache_file(dir, &context.root));
        let on_disk = cache_file
            .as_deref()
            .map(HashCache::load)
            .unwrap_or_default();
        let in_memory = self.in_memory(&context.root);
        let known = |entry: &Entry| {
            in_memory
                .as_ref()
                .and_then(|m| m.lookup_exact(&entry.relative, &entry.stat))
                .or_else(|| on_disk.lookup(&entry.relative, &entry.stat))
        };
        // With nothing to compare against, stat data comes from the open
        // files (one path lookup per file instead of two).
        let cold = in_memory.is_none() && on_disk.is_empty();
        let (entries, digests) = self.walk_and_read(context, only, cold, &known, &mut stats)?;

        let (tree, order) = sorted_tree(&entries, &digests, &stats);
        if tree.read == 0 {
            // Nothing new was read: what answered (this process's memory,
            // else the cache on disk) already says it all.
            if in_memory.is_none() {
                self.remember(&context.root, on_disk);
            }
            return Ok(tree);
        }
        // In path order, so the cache is written sorted and loads without sorting.
        let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
        let recorded = order
            .iter()
            .filter_map(|&i| slots[i].take().map(|e| (e.relative, e.stat, digests[i])));
        self.record(
            &context.root,
            cache_file.as_deref(),
            recorded.collect(),
            walk_started,
        );
        Ok(tree)
    }

    /// The digests this process already knows for the tree at `root`.
    fn in_memory(&self, root: &Path) -> Option<Arc<HashCache>> {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(root)
            .cloned()
    }

    /// Keeps a tree's digests in memory and, with a cache file, on disk.
    fn record(
        &self,
        root: &Path,
        cache_file: Option<&Path>,
        recorded: Vec<(String, Stat, [u8; 32])>,
        walk_started: i64,
    ) {
        if let Some(file) = cache_file {
            // A cache that can't be written costs speed, never correctness.
            if let Err(e) = save(file, &recorded, walk_started) {
                tracing::debug!("could not write the hash cache {}: {e}", file.display());
            }
        }
        self.remember(root, HashCache::from_entries(recorded));
    }

    /// Walks `context` on this thread while workers read the files whose
    /// digest `known` cannot give; every entry and its digest, in walk
    /// order.
    fn walk_and_read(
        &self,
        context: &LocalContext,
        only: Option<&IgnoreRules>,
        cold: bool,
        known: &dyn Fn(&Entry) -> Option<[u8; 32]>,
        stats: &mut HashStats,
    ) -> Result<(Vec<Entry>, Vec<[u8; 32]>), HashError> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut digests: Vec<[u8; 32]> = Vec::new();
        let (jobs, queue) = mpsc::channel::<(usize, PathBuf, EntryKind, u64)>();
        let queue = Mutex::new(queue);
        let outcome: Result<Vec<Vec<Hashed>>, HashError> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.threads)
                .map(|_| scope.spawn(|| read_queued(&queue)))
                .collect();
            let walked = walk_with(context, only, !cold, &mut |mut entry| {
                let slot = entries.len();
                match known(&entry) {
                    Some(digest) => {
                        stats.from_index += 1;
                        digests.push(digest);
                    }
                    None => {
                        digests.push([0; 32]);
                        // A closed queue means a worker failed; its error wins.
                        let _ = jobs.send((
                            slot,
                            std::mem::take(&mut entry.path),
                            entry.kind,
                            entry.stat.size,
                        ));
                    }
                }
                entries.push(entry);
                Ok(())
            });
            drop(jobs);
            // Invariant: workers return errors as values; a panic in one is
            // a defect worth propagating.
            let results: Vec<Result<Vec<Hashed>, HashError>> = workers
                .into_iter()
                .map(|w| w.join().expect("hashing worker panicked"))
                .collect();
            walked?;
            results.into_iter().collect()
        });
        for (slot, digest, read, taken) in outcome?.into_iter().flatten() {
            digests[slot] = digest;
            if let Some((stat, kind)) = taken {
                entries[slot].stat = stat;
                entries[slot].kind = kind;
            }
            stats.read += 1;
            stats.bytes_read += read;
        }
        Ok((entries, digests))
    }
}

/// The tree's digests in path order (sorting by the full relative path
/// keeps the hash independent of the order directories were read in and
/// of the thread count), and that order.
fn sorted_tree(
    entries: &[Entry],
    digests: &[[u8; 32]],
    stats: &HashStats,
) -> (TreeDigests, Vec<usize>) {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|a, b| entries[*a].relative.cmp(&entries[*b].relative));
    let folded = |i: usize| {
        let entry = &entries[i];
        (entry.relative.clone(), kind_mark(entry.kind), digests[i])
    };
    let tree = TreeDigests {
        entries: order.iter().map(|&i| folded(i)).collect(),
        read: stats.read,
        bytes_read: stats.bytes_read,
        from_index: stats.from_index,
    };
    (tree, order)
}

/// A worker: digests queued files until the queue closes.
fn read_queued(
    queue: &Mutex<mpsc::Receiver<(usize, PathBuf, EntryKind, u64)>>,
) -> Result<Vec<Hashed>, HashError> {
    let mut done = Vec::new();
    let mut buffer = vec![0u8; READ_BUFFER];
    loop {
        // Invariant: the lock is held only to take a job.
        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((slot, path, kind, size)) = job else {
            return Ok(done);
        };
        done.push(entry_digest(slot, &path, kind, size, &mut buffer)?);
    }
}

/// The byte a tree's fold records for an entry's kind.
fn kind_mark(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::Symlink => b'l',
        EntryKind::File { executable: true } => b'x',
        EntryKind::File { executable: false } => b'-',
    }
}

/// Which tree a fold is of: the same directory with the same rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TreeKey {
    root: PathBuf,
    rules: String,
    only: String,
}

/// One tree's files in path order, as (path, kind, digest), and what
/// digesting them cost.
#[derive(Debug)]
struct TreeDigests {
    entries: Vec<(String, u8, [u8; 32])>,
    read: usize,
    bytes_read: u64,
    from_index: usize,
}

/// A hashing failure as the requests sharing a tree all see it.
#[derive(Debug, Clone)]
struct SharedHashError(PathBuf, String);

impl From<&HashError> for SharedHashError {
    fn from(error: &HashError) -> Self {
        SharedHashError(error.path.clone(), error.source.to_string())
    }
}

impl SharedHashError {
    fn into_error(self) -> HashError {
        HashError {
            path: self.0,
            source: std::io::Error::other(self.1),
        }
    }
}

/// Bytes read at a time.
const READ_BUFFER: usize = 128 * 1024;

/// One file read by a worker: its position, digest and bytes read.
type Hashed = (usize, [u8; 32], u64, Option<(Stat, EntryKind)>);

/// Hex SHA-256 over `sources`, on all cores, without any index.
pub fn hash_context(sources: &ContextSources) -> Result<String, HashError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(ContextHasher::new(threads, None).hash(sources)?.0)
}

/// Reads one file (a symlink: its target) for slot `slot`; for a file the
/// walk did not stat (`Stat::PENDING` size), the stat data and executable
/// bit come from the open file.
fn entry_digest(
    slot: usize,
    path: &Path,
    kind: EntryKind,
    size: u64,
    buffer: &mut [u8],
) -> Result<Hashed, HashError> {
    let error = |source| HashError {
        path: path.to_path_buf(),
        source,
    };
    if kind == EntryKind::Symlink {
        let target = std::fs::read_link(path).map_err(error)?;
        return Ok((
            slot,
            Sha256::digest(target.as_os_str().as_encoded_bytes()).into(),
            0,
            None,
        ));
    }
    let file = std::fs::File::open(path).map_err(error)?;
    let (size, taken) = if size == Stat::PENDING.size {
        let metadata = file.metadata().map_err(error)?;
        let kind = EntryKind::File {
            executable: std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o100
                != 0,
        };
        (metadata.len(), Some((Stat::of(&metadata), kind)))
    } else {
        (size, None)
    };
    let (digest, read) = read_digest(file, path, Some(size), buffer)?;
    Ok((slot, digest, read, taken))
}

fn file_digest(path: &Path) -> Result<[u8; 32], HashError> {
    let file = std::fs::File::open(path).map_err(|source| HashError {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(read_digest(file, path, None, &mut vec![0u8; READ_BUFFER])?.0)
}

/// Reads `path` through `buffer` (one per worker: allocating and zeroing a
/// buffer per file costs more than hashing small files).
fn read_digest(
    mut file: std::fs::File,
    path: &Path,
    size: Option<u64>,
    buffer: &mut [u8],
) -> Result<([u8; 32], u64), HashError> {
    let error = |source| HashError {
        path: path.to_path_buf(),
        source,
    };
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    loop {
        let read = std::io::Read::read(&mut file, buffer).map_err(error)?;
        if read == 0 {
            break;
        }
        total += read as u64;
        hasher.update(&buffer[..read]);
        // Having read the size the walk saw saves the final empty read. A
        // file that grows meanwhile changes its stat data, which the next
        // run compares: it is hashed again then.
        if size.is_some_and(|size| total >= size) {
            break;
        }
    }
    Ok((hasher.finalize().into(), total))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
