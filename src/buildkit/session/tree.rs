//! The files of one local directory as the daemon asks for them: walked
//! in fsutil's order (each directory before its entries, entries by name,
//! byte-wise), filtered by the patterns the daemon sends (the
//! `.dockerignore` rules as exclude patterns, the files a step needs as
//! include patterns), with Docker's pattern language
//! ([`IgnoreRules`]). A directory left out by the patterns is still sent
//! when something below it is included, just before that entry.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::super::pb::fsutil::types::Stat;
use crate::context::{IgnoreRules, clean};

/// Go's `os.FileMode` type bits, which fsutil's `Stat.mode` carries.
mod go_mode {
    pub const DIR: u32 = 1 << 31;
    pub const SYMLINK: u32 = 1 << 27;
    pub const DEVICE: u32 = 1 << 26;
    pub const NAMED_PIPE: u32 = 1 << 25;
    pub const SETUID: u32 = 1 << 23;
    pub const SETGID: u32 = 1 << 22;
    pub const CHAR_DEVICE: u32 = 1 << 21;
    pub const STICKY: u32 = 1 << 20;
}

/// Where an entry's content comes from, when the daemon asks for it.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// A directory, link or device: the stat is all there is.
    None,
    /// A regular file on disk.
    File(PathBuf),
    /// A file held in memory (an inline Dockerfile).
    Bytes(Arc<Vec<u8>>),
}

/// One entry, in the order it is sent.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub stat: Stat,
    pub content: Content,
}

/// What the daemon asked for.
#[derive(Debug, Default)]
pub(crate) struct Patterns {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Paths included with, when they are symbolic links, what they
    /// point at (how the frontend asks for the Dockerfile alone).
    pub follow: Vec<String>,
}

/// The filter the patterns make.
struct Filter {
    exclude: IgnoreRules,
    include: Option<IgnoreRules>,
}

impl Filter {
    fn of(root: &Path, patterns: &Patterns) -> Filter {
        let mut include = patterns.include.clone();
        for path in &patterns.follow {
            include.extend(followed(root, path));
        }
        let rules = |list: &[String]| IgnoreRules::from_patterns(list.iter().map(String::as_str));
        Filter {
            exclude: rules(&patterns.exclude),
            include: (!include.is_empty()).then(|| rules(&include)),
        }
    }

    /// Whether `path` is sent, and whether (a directory) it is walked.
    fn decide(&self, path: &str, is_dir: bool) -> (bool, bool) {
        if self.exclude.is_excluded(path) {
            return (false, is_dir && self.exclude.may_reinclude_below(path));
        }
        match &self.include {
            Some(include) if !include.is_excluded(path) => {
                (false, is_dir && include.may_match_below(path))
            }
            _ => (true, is_dir),
        }
    }
}

/// `path` and, while it is a symbolic link inside `root`, what it points
/// at (relative to `root`), as fsutil follows them.
fn followed(root: &Path, path: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current = clean(path.trim_start_matches('/'));
    let mut seen = BTreeSet::new();
    while seen.insert(current.clone()) {
        found.push(current.clone());
        let Ok(target) = std::fs::read_link(root.join(&current)) else {
            break;
        };
        let target = target.to_string_lossy();
        current = match target.strip_prefix('/') {
            Some(absolute) => clean(absolute),
            None => match current.rsplit_once('/') {
                Some((dir, _)) => clean(&format!("{dir}/{target}")),
                None => clean(&target),
            },
        };
        if current.starts_with("..") {
            break;
        }
    }
    found
}

/// The entries of the directory `root` the patterns select.
pub(crate) fn walk(root: &Path, patterns: &Patterns) -> std::io::Result<Vec<Entry>> {
    let filter = Filter::of(root, patterns);
    let mut walker = Walker {
        filter,
        pending: Vec::new(),
        out: Vec::new(),
    };
    walker.visit(root, "")?;
    Ok(walker.out)
}

/// A single in-memory file as a directory of one entry.
pub(crate) fn single_file(name: &str, bytes: Arc<Vec<u8>>) -> Vec<Entry> {
    use sha2::Digest as _;
    // The daemon keeps what it received and asks again only for files
    // whose stat changed: a time derived from the content makes an edit
    // of the same length a change.
    let digest = sha2::Sha256::digest(bytes.as_slice());
    let stamp = i64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) & i64::MAX;
    vec![Entry {
        stat: Stat {
            path: name.to_owned(),
            mode: 0o644,
            size: bytes.len() as i64,
            mod_time: stamp,
            ..Stat::default()
        },
        content: Content::Bytes(bytes),
    }]
}

struct Walker {
    filter: Filter,
    /// Directories walked into but not yet sent (left out by the patterns
    /// themselves); `None` for those already sent.
    pending: Vec<Option<Entry>>,
    out: Vec<Entry>,
}

impl Walker {
    fn visit(&mut self, dir: &Path, prefix: &str) -> std::io::Result<()> {
        let mut names: Vec<_> = std::fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        for name in names {
            let full = dir.join(&name);
            let relative = format!("{prefix}{}", name.to_string_lossy());
            let metadata = std::fs::symlink_metadata(&full)?;
            let is_dir = metadata.is_dir();
            let (send, descend) = self.filter.decide(&relative, is_dir);
            if !send && !descend {
                continue;
            }
            let entry = entry_of(&full, &relative, &metadata)?;
            if send {
                self.flush();
                self.out.push(entry);
                self.pending.push(None);
            } else {
                self.pending.push(Some(entry));
            }
            if is_dir {
                self.visit(&full, &format!("{relative}/"))?;
            }
            self.pending.pop();
        }
        Ok(())
    }

    /// Sends the directories above an entry about to be sent.
    fn flush(&mut self) {
        for slot in &mut self.pending {
            if let Some(entry) = slot.take() {
                self.out.push(entry);
            }
        }
    }
}

/// The stat fsutil sends for a file.
fn entry_of(full: &Path, relative: &str, metadata: &std::fs::Metadata) -> std::io::Result<Entry> {
    let kind = metadata.file_type();
    let mut stat = Stat {
        path: relative.to_owned(),
        mode: go_file_mode(metadata.mode()),
        uid: metadata.uid(),
        gid: metadata.gid(),
        mod_time: metadata.mtime() * 1_000_000_000 + metadata.mtime_nsec(),
        ..Stat::default()
    };
    if !kind.is_dir() {
        stat.size = metadata.size() as i64;
    }
    let content = if kind.is_symlink() {
        stat.linkname = std::fs::read_link(full)?.to_string_lossy().into_owned();
        Content::None
    } else if kind.is_file() {
        Content::File(full.to_path_buf())
    } else {
        if stat.mode & go_mode::DEVICE != 0 {
            let rdev = metadata.rdev();
            stat.devmajor = ((rdev >> 8) & 0xfff) as i64;
            stat.devminor = ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)) as i64;
        }
        Content::None
    };
    Ok(Entry { stat, content })
}

/// A Unix mode as Go's `os.FileMode` (sockets left out, as fsutil does).
fn go_file_mode(mode: u32) -> u32 {
    let mut go = mode & 0o777;
    go |= match mode & 0o170000 {
        0o040000 => go_mode::DIR,
        0o120000 => go_mode::SYMLINK,
        0o010000 => go_mode::NAMED_PIPE,
        0o060000 => go_mode::DEVICE,
        0o020000 => go_mode::DEVICE | go_mode::CHAR_DEVICE,
        _ => 0,
    };
    for (unix, bit) in [
        (0o4000, go_mode::SETUID),
        (0o2000, go_mode::SETGID),
        (0o1000, go_mode::STICKY),
    ] {
        if mode & unix != 0 {
            go |= bit;
        }
    }
    go
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(root: &Path, patterns: &Patterns) -> Vec<String> {
        walk(root, patterns)
            .unwrap()
            .into_iter()
            .map(|e| e.stat.path)
            .collect()
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "b.txt",
            "a/z.txt",
            "a/b/c.txt",
            "a.b",
            "node_modules/x/y.js",
            "Dockerfile",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
        dir
    }

    #[test]
    fn entries_come_in_fsutil_order() {
        let dir = tree();
        assert_eq!(
            paths(dir.path(), &Patterns::default()),
            [
                "Dockerfile",
                "a",
                "a/b",
                "a/b/c.txt",
                "a/z.txt",
                "a.b",
                "b.txt",
                "node_modules",
                "node_modules/x",
                "node_modules/x/y.js"
            ]
        );
    }

    #[test]
    fn excluded_directories_are_skipped_unless_an_exception_reaches_below() {
        let dir = tree();
        let exclude = |list: &[&str]| Patterns {
            exclude: list.iter().map(|s| s.to_string()).collect(),
            ..Patterns::default()
        };
        assert_eq!(
            paths(dir.path(), &exclude(&["node_modules", "a/b"])),
            ["Dockerfile", "a", "a/z.txt", "a.b", "b.txt"]
        );
        assert_eq!(
            paths(dir.path(), &exclude(&["a", "!a/b/c.txt"])),
            [
                "Dockerfile",
                "a",
                "a/b",
                "a/b/c.txt",
                "a.b",
                "b.txt",
                "node_modules",
                "node_modules/x",
                "node_modules/x/y.js"
            ]
        );
    }

    #[test]
    fn include_patterns_send_only_what_matches_with_its_parents() {
        let dir = tree();
        let include = Patterns {
            include: vec!["a/b/c.txt".into(), "Dockerfile".into()],
            ..Patterns::default()
        };
        assert_eq!(
            paths(dir.path(), &include),
            ["Dockerfile", "a", "a/b", "a/b/c.txt"]
        );
    }

    #[test]
    fn modes_are_go_file_modes() {
        let dir = tree();
        std::os::unix::fs::symlink("b.txt", dir.path().join("link")).unwrap();
        let entries = walk(dir.path(), &Patterns::default()).unwrap();
        let mode = |p: &str| entries.iter().find(|e| e.stat.path == p).unwrap().stat.mode;
        assert_eq!(mode("a") & go_mode::DIR, go_mode::DIR);
        assert_eq!(mode("link") & go_mode::SYMLINK, go_mode::SYMLINK);
        assert_eq!(
            mode("b.txt") >> 9,
            0,
            "a plain file has only permission bits"
        );
        let link = entries.iter().find(|e| e.stat.path == "link").unwrap();
        assert_eq!(link.stat.linkname, "b.txt");
    }

    #[test]
    fn followed_paths_are_sent_alone_with_the_targets_of_links() {
        let dir = tree();
        std::os::unix::fs::symlink("a/b/c.txt", dir.path().join("Dockerfile.link")).unwrap();
        let patterns = Patterns {
            follow: vec!["Dockerfile.link".into(), "Dockerfile.dockerignore".into()],
            ..Patterns::default()
        };
        // The link as a link, and what it points at, with its parents.
        assert_eq!(
            paths(dir.path(), &patterns),
            ["Dockerfile.link", "a", "a/b", "a/b/c.txt"]
        );
    }
}
