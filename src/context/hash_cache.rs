//! The hash cache: per context, path → (stat data, content digest), kept
//! on disk between runs so an unchanged file is never read again.
//!
//! An entry is trusted only when the file's size, mtime, ctime, inode and
//! mode are exactly as recorded *and* the file was last changed clearly
//! before the cache was written: a file modified in the same timestamp
//! tick as the cache could change again without its mtime moving (git's
//! "racy" problem), so such files are re-hashed. A truncated, corrupt or
//! foreign-version cache is ignored and rebuilt; writes replace the file
//! atomically, so concurrent providers never see half a cache; a cache
//! directory that can't be written just means hashing without one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::walk::Stat;

/// Format version (the last byte).
const MAGIC: &[u8; 8] = b"DBIDX\x00\x00\x02";

/// How far a file's last change must precede the index's writing for its
/// entry to be trusted (coarse filesystem timestamps included).
const RACY_MARGIN_NS: i64 = 1_000_000_000;

/// A loaded index.
#[derive(Debug, Default)]
pub struct HashCache {
    /// Sorted by path, for binary search (cheaper to load than a map).
    entries: Vec<(String, Stat, [u8; 32])>,
    written_at_ns: i64,
}

/// The directory for indexes: `$XDG_CACHE_HOME/pulumi-docker-build`, else
/// `~/.cache/pulumi-docker-build`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("pulumi-docker-build"))
}

/// The index file for the context at `root`.
pub fn cache_file(cache_dir: &Path, root: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    cache_dir.join(format!("{name}.idx"))
}

/// Nanoseconds since the epoch, now.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// `entries` sorted by path (already sorted when written by this module).
fn sorted(mut entries: Vec<(String, Stat, [u8; 32])>) -> Vec<(String, Stat, [u8; 32])> {
    if !entries.is_sorted_by(|a, b| a.0 <= b.0) {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
    }
    entries
}

impl HashCache {
    fn find(&self, relative: &str) -> Option<&(String, Stat, [u8; 32])> {
        let at = self
            .entries
            .binary_search_by(|(path, _, _)| path.as_str().cmp(relative))
            .ok()?;
        self.entries.get(at)
    }

    /// Loads `file`; anything unreadable or malformed is an empty index.
    pub fn load(file: &Path) -> HashCache {
        std::fs::read(file)
            .ok()
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default()
    }

    /// The recorded digest of `relative`, if its entry can be trusted.
    pub fn lookup(&self, relative: &str, stat: &Stat) -> Option<[u8; 32]> {
        let (_, recorded, digest) = self.find(relative)?;
        let settled = stat.mtime_ns.saturating_add(RACY_MARGIN_NS) < self.written_at_ns
            && stat.ctime_ns.saturating_add(RACY_MARGIN_NS) < self.written_at_ns;
        (recorded == stat && settled).then_some(*digest)
    }

    /// An in-memory index of digests this process computed.
    pub fn from_entries(entries: Vec<(String, Stat, [u8; 32])>) -> HashCache {
        HashCache {
            entries: sorted(entries),
            written_at_ns: i64::MAX,
        }
    }

    /// The recorded digest of `relative` on an exact stat match, for
    /// digests this process computed itself moments ago.
    pub fn lookup_exact(&self, relative: &str, stat: &Stat) -> Option<[u8; 32]> {
        let (_, recorded, digest) = self.find(relative)?;
        (recorded == stat).then_some(*digest)
    }

    /// Number of entries.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Writes a new index atomically. `started_ns` is when the walk that
/// produced `entries` began: changes after it are never trusted.
pub fn save(
    file: &Path,
    entries: &[(String, Stat, [u8; 32])],
    started_ns: i64,
) -> std::io::Result<()> {
    let dir = file
        .parent()
        .ok_or_else(|| std::io::Error::other("index file has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let bytes = encode(entries, started_ns);
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    // No fsync: the index is a cache, and a torn file fails its checksum.
    temporary.write_all(&bytes)?;
    temporary.persist(file).map_err(|e| e.error)?;
    Ok(())
}

fn encode(entries: &[(String, Stat, [u8; 32])], written_at_ns: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + entries.len() * 96);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&written_at_ns.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (relative, stat, digest) in entries {
        out.extend_from_slice(&(relative.len() as u32).to_le_bytes());
        out.extend_from_slice(relative.as_bytes());
        out.extend_from_slice(&stat.size.to_le_bytes());
        out.extend_from_slice(&stat.mtime_ns.to_le_bytes());
        out.extend_from_slice(&stat.ctime_ns.to_le_bytes());
        out.extend_from_slice(&stat.inode.to_le_bytes());
        out.extend_from_slice(&stat.mode.to_le_bytes());
        out.extend_from_slice(digest);
    }
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum);
    out
}

/// Reads little-endian fields off a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn decode(bytes: &[u8]) -> Option<HashCache> {
    let (body, checksum) = bytes.split_at(bytes.len().checked_sub(32)?);
    if Sha256::digest(body).as_slice() != checksum || !body.starts_with(MAGIC) {
        return None;
    }
    let mut reader = Reader(&body[MAGIC.len()..]);
    let written_at_ns = reader.i64()?;
    let count = reader.u64()?;
    let mut entries = Vec::with_capacity(usize::try_from(count).ok()?.min(1 << 20));
    for _ in 0..count {
        let length = reader.u32()? as usize;
        let relative = String::from_utf8(reader.take(length)?.to_vec()).ok()?;
        let stat = Stat {
            size: reader.u64()?,
            mtime_ns: reader.i64()?,
            ctime_ns: reader.i64()?,
            inode: reader.u64()?,
            mode: reader.u32()?,
        };
        let digest: [u8; 32] = reader.take(32)?.try_into().ok()?;
        entries.push((relative, stat, digest));
    }
    reader.0.is_empty().then_some(HashCache {
        entries,
        written_at_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(mtime_ns: i64) -> Stat {
        Stat {
            size: 3,
            mtime_ns,
            ctime_ns: mtime_ns,
            inode: 7,
            mode: 0o100644,
        }
    }

    #[test]
    fn round_trips_and_trusts_settled_entries_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.idx");
        let written = 100 * RACY_MARGIN_NS;
        save(
            &file,
            &[
                ("a".into(), stat(10), [1; 32]),
                ("racy".into(), stat(written - 1), [2; 32]),
            ],
            written,
        )
        .unwrap();
        let index = HashCache::load(&file);
        assert_eq!(index.len(), 2);
        assert_eq!(index.lookup("a", &stat(10)), Some([1; 32]));
        assert_eq!(
            index.lookup(
                "a",
                &Stat {
                    inode: 8,
                    ..stat(10)
                }
            ),
            None,
            "another inode is another file"
        );
        assert_eq!(
            index.lookup(
                "a",
                &Stat {
                    ctime_ns: 11,
                    ..stat(10)
                }
            ),
            None,
            "ctime moved: content may have changed"
        );
        assert_eq!(
            index.lookup("racy", &stat(written - 1)),
            None,
            "changed in the index's own tick: re-hash"
        );
        assert_eq!(index.lookup("missing", &stat(10)), None);
    }

    #[test]
    fn corrupt_truncated_or_foreign_indexes_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.idx");
        save(
            &file,
            &[("a".into(), stat(10), [1; 32])],
            100 * RACY_MARGIN_NS,
        )
        .unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[20] ^= 0xff;
        std::fs::write(&file, &bytes).unwrap();
        assert!(HashCache::load(&file).is_empty(), "a flipped bit");
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        assert!(HashCache::load(&file).is_empty(), "truncated");
        std::fs::write(&file, b"{\"not\": \"ours\"}").unwrap();
        assert!(HashCache::load(&file).is_empty(), "foreign");
        assert!(HashCache::load(&dir.path().join("absent.idx")).is_empty());
    }

    #[test]
    fn cache_files_are_per_context() {
        let cache = Path::new("/cache");
        assert_ne!(
            cache_file(cache, Path::new("/a")),
            cache_file(cache, Path::new("/b"))
        );
    }
}
