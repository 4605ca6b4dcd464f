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

/// Prefixes buildx treats as non-local.
const REMOTE_PREFIXES: [&str; 9] = [
    "http://",
    "https://",
    "git://",
    "git@",
    "ssh://",
    "github.com/",
    "docker-image://",
    "oci-layout://",
    "target:",
];

/// Classifies `location`, resolving a local one against `base`.
pub fn classify(location: &str, base: &Path) -> Location {
    if location == "-" || REMOTE_PREFIXES.iter().any(|p| location.starts_with(p)) {
        Location::Remote
    } else {
        Location::Local(base.join(location))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
