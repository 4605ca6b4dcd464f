//! Walking a local context: every file `.dockerignore` leaves in, with the
//! stat data the index compares. Excluded directories are not entered
//! unless a `!` rule could re-include something below them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::dockerignore::IgnoreRules;
use super::sources::{HashError, LocalContext};

/// What the build sees of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file, with its owner-executable bit.
    File {
        /// Whether the owner may execute it.
        executable: bool,
    },
    /// A symbolic link (its target is what counts).
    Symlink,
}

/// The stat data that tells whether a file may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Status-change time, nanoseconds since the epoch.
    pub ctime_ns: i64,
    /// Inode number.
    pub inode: u64,
    /// Mode bits (type and permissions).
    pub mode: u32,
}

impl Stat {
    /// Not taken yet: the reader fills it in from the open file.
    pub const PENDING: Stat = Stat {
        size: u64::MAX,
        mtime_ns: 0,
        ctime_ns: 0,
        inode: 0,
        mode: 0,
    };

    /// The stat data of `metadata`.
    pub fn of(metadata: &std::fs::Metadata) -> Stat {
        Stat {
            size: metadata.size(),
            mtime_ns: metadata
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(metadata.mtime_nsec()),
            ctime_ns: metadata
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(metadata.ctime_nsec()),
            inode: metadata.ino(),
            mode: metadata.mode(),
        }
    }
}

/// One file of a context.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `/`-separated path relative to the context root.
    pub relative: String,
    /// The file on disk.
    pub path: PathBuf,
    /// Regular file or symlink.
    pub kind: EntryKind,
    /// Its stat data.
    pub stat: Stat,
}

/// Which files a walk keeps: those `.dockerignore` leaves in and, when
/// given, only those below one of `only` (the build's sources).
pub struct Filter<'a> {
    /// The context's ignore rules.
    pub ignore: &'a IgnoreRules,
    /// Source patterns the build can read, or `None` for everything.
    pub only: Option<&'a IgnoreRules>,
}

impl Filter<'_> {
    pub(super) fn keeps_file(&self, relative: &str) -> bool {
        !self.ignore.is_excluded(relative)
            && self.only.is_none_or(|only| only.is_excluded(relative))
    }

    pub(super) fn enters_dir(&self, relative: &str) -> bool {
        let not_ignored =
            !self.ignore.is_excluded(relative) || self.ignore.may_reinclude_below(relative);
        let wanted = self
            .only
            .is_none_or(|only| only.is_excluded(relative) || only.may_match_below(relative));
        not_ignored && wanted
    }
}

/// Hands every kept file below `context.root` to `found` as soon as it is
/// seen, so hashing can start before the walk ends. Without `stat_files`
/// (no index to compare with), regular files are classified from the
/// directory listing alone and their stat data is left for the reader
/// to take from the open file (`Stat::PENDING`): one path lookup
/// per file instead of two.
pub fn walk_with(
    context: &LocalContext,
    only: Option<&IgnoreRules>,
    stat_files: bool,
    found: &mut dyn FnMut(Entry) -> Result<(), HashError>,
) -> Result<(), HashError> {
    let filter = Filter {
        ignore: &context.ignore,
        only,
    };
    visit(&filter, &context.root, "", stat_files, found)
}

fn visit(
    filter: &Filter<'_>,
    dir: &Path,
    prefix: &str,
    stat_files: bool,
    out: &mut dyn FnMut(Entry) -> Result<(), HashError>,
) -> Result<(), HashError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HashError { path, source }
    };
    for item in std::fs::read_dir(dir).map_err(error(dir))? {
        let item = item.map_err(error(dir))?;
        let name = item.file_name();
        // A name that is not UTF-8 still counts, lossily named.
        let name = name.to_string_lossy();
        let relative = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let path = item.path();
        // The listing's own file type costs no system call on Linux.
        let listed = item.file_type().map_err(error(&path))?;
        if listed.is_dir() {
            if filter.enters_dir(&relative) {
                visit(filter, &path, &relative, stat_files, out)?;
            }
            continue;
        }
        if !(listed.is_file() || listed.is_symlink()) || !filter.keeps_file(&relative) {
            // Sockets, FIFOs and devices are not sent to the builder.
            continue;
        }
        if listed.is_file() && !stat_files {
            out(Entry {
                relative,
                path,
                kind: EntryKind::File { executable: false },
                stat: Stat::PENDING,
            })?;
            continue;
        }
        let metadata = std::fs::symlink_metadata(&path).map_err(error(&path))?;
        let kind = if metadata.file_type().is_symlink() {
            EntryKind::Symlink
        } else {
            EntryKind::File {
                executable: metadata.mode() & 0o100 != 0,
            }
        };
        out(Entry {
            relative,
            path,
            kind,
            stat: Stat::of(&metadata),
        })?;
    }
    Ok(())
}
