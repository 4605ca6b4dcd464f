//! Telling local context paths from remote ones, as buildx does.

use std::path::{Path, PathBuf};

/// Where a context or Dockerfile location points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local path, resolved against the program's directory.
    Local(PathBuf),
    /// A URL (Git, HTTP tarball), an image (`docker-image://`), or `-`:
    /// nothing local to read or hash.
    Remote,
}

/// Prefixes of the URLs a builder fetches itself: Git repositories and
/// HTTP(S) files or tarballs.
const FETCHED_PREFIXES: [&str; 6] = [
    "http://",
    "https://",
    "git://",
    "git@",
    "ssh://",
    "github.com/",
];

/// Prefixes buildx treats as non-local besides those URLs.
const OTHER_REMOTE_PREFIXES: [&str; 3] = ["docker-image://", "oci-layout://", "target:"];

/// Whether `location` is a Git or HTTP(S) URL the builder fetches.
pub fn is_fetched_url(location: &str) -> bool {
    FETCHED_PREFIXES.iter().any(|p| location.starts_with(p))
}

/// Classifies `location`, resolving a local one against `base`.
pub fn classify(location: &str, base: &Path) -> Location {
    let other = OTHER_REMOTE_PREFIXES
        .iter()
        .any(|p| location.starts_with(p));
    if location == "-" || other || is_fetched_url(location) {
        Location::Remote
    } else {
        Location::Local(base.join(location))
    }
}

/// `path` cleaned as Go's `path.Clean` cleans it (the official provider
/// stores Dockerfile paths that way): no `.` elements, no `name/..` pairs,
/// no repeated or trailing slashes; `""` becomes `.`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for element in path.split('/') {
        match element {
            "" | "." => {}
            ".." if kept.last().is_some_and(|last| *last != "..") => {
                kept.pop();
            }
            // Above the root is the root; above a relative start stays.
            ".." if rooted => {}
            other => kept.push(other),
        }
    }
    let joined = kept.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// A location cleaned when it is local; remote ones are kept verbatim.
pub fn clean_location(location: &str) -> String {
    match classify(location, Path::new("")) {
        Location::Local(_) => clean(location),
        Location::Remote => location.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clean_as_go_cleans_them() {
        for (given, cleaned) in [
            ("", "."),
            (".", "."),
            ("./app/Dockerfile", "app/Dockerfile"),
            ("../a/../a/x", "../a/x"),
            ("a//b/./c/", "a/b/c"),
            ("/../x", "/x"),
            ("/a/b/../..", "/"),
            ("../../x", "../../x"),
            ("a/..", "."),
        ] {
            assert_eq!(clean(given), cleaned, "{given}");
        }
        assert_eq!(
            clean_location("https://h//x/./y"),
            "https://h//x/./y",
            "URLs are not paths"
        );
    }

    #[test]
    fn remote_forms_are_not_local() {
        let base = Path::new("/prog");
        for remote in [
            "-",
            "https://github.com/a/b.git",
            "git@github.com:a/b.git",
            "docker-image://alpine",
        ] {
            assert_eq!(classify(remote, base), Location::Remote, "{remote}");
        }
        assert_eq!(
            classify("app", base),
            Location::Local(PathBuf::from("/prog/app"))
        );
        assert_eq!(
            classify("/abs", base),
            Location::Local(PathBuf::from("/abs"))
        );
    }
}
