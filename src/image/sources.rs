//! Which local files an Image's build reads, for the context hash.

use std::path::{Path, PathBuf};

use crate::context::{
    BuildSources, ContextSources, HashError, IgnoreRules, LocalContext, Location, OfficialSources,
    build_sources, classify,
};

use super::args::ImageArgs;

/// The local Dockerfile, context and named contexts of `args`, with the
/// `.dockerignore` rules that apply to each. Remote locations and inline
/// Dockerfiles contribute nothing (an inline Dockerfile is compared as an
/// input instead).
pub fn context_sources(args: &ImageArgs, base: &Path) -> Result<ContextSources, HashError> {
    let dockerfile = local_dockerfile(args, base);
    // BuildKit prefers `<Dockerfile>.dockerignore` for the main context.
    let preferred_ignore = dockerfile.as_ref().map(|d| {
        let mut name = d.as_os_str().to_owned();
        name.push(".dockerignore");
        PathBuf::from(name)
    });
    let only = only_build_sources(args, dockerfile.as_deref())?;
    let mut sources = ContextSources {
        dockerfile,
        only,
        ..ContextSources::default()
    };
    if let Some(context) = &args.context {
        if let Location::Local(root) = classify(&context.location, base) {
            sources.main = Some(LocalContext::open(root, preferred_ignore.as_deref())?);
        }
        for (name, named) in &context.named {
            if let Location::Local(root) = classify(&named.location, base) {
                sources
                    .named
                    .push((name.clone(), LocalContext::open(root, None)?));
            }
        }
    }
    Ok(sources)
}

/// The Dockerfile on disk: its `location` when local, else (without an
/// inline one) `Dockerfile` in a local context, as buildx reads it
/// (following a link), when it exists.
fn local_dockerfile(args: &ImageArgs, base: &Path) -> Option<PathBuf> {
    let inline = args
        .dockerfile
        .as_ref()
        .is_some_and(|d| d.inline.as_deref().is_some_and(|i| !i.is_empty()));
    let location = args.dockerfile.as_ref().and_then(|d| d.location.as_deref());
    match location.filter(|l| !l.is_empty()) {
        Some(location) => match classify(location, base) {
            Location::Local(path) => Some(path),
            Location::Remote => None,
        },
        None if !inline => args
            .context
            .as_ref()
            .and_then(|c| match classify(&c.location, base) {
                Location::Local(root) => Some(root.join("Dockerfile")),
                Location::Remote => None,
            })
            .filter(|path| path.is_file()),
        None => None,
    }
}

/// With `hashOnlyBuildSources`, the rules that keep only what the
/// Dockerfile can read; `None` means the whole context counts.
fn only_build_sources(
    args: &ImageArgs,
    dockerfile: Option<&Path>,
) -> Result<Option<IgnoreRules>, HashError> {
    if !args.hash_only_build_sources.unwrap_or(false) {
        return Ok(None);
    }
    let inline = args.dockerfile.as_ref().and_then(|d| d.inline.as_deref());
    let text = match (dockerfile, inline) {
        (_, Some(inline)) => Some(inline.to_owned()),
        (Some(path), None) => Some(std::fs::read_to_string(path).map_err(|source| HashError {
            path: path.to_path_buf(),
            source,
        })?),
        (None, None) => None,
    };
    Ok(match text.map(|t| build_sources(&t)) {
        Some(BuildSources::Everything(why)) => {
            tracing::debug!("hashing the whole context: {why}");
            None
        }
        Some(sources) => sources.rules(),
        None => None,
    })
}

/// The files the official provider's `contextHash` covers for `args`: the
/// Dockerfile `location` when it is a local file (never the default
/// Dockerfile of a context, which Check has already filled in), the main
/// context with `<Dockerfile>.dockerignore` or its own rules, and local
/// named contexts.
pub fn official_sources(args: &ImageArgs, base: &Path) -> Result<OfficialSources, HashError> {
    let local = |location: &str| match classify(location, base) {
        Location::Local(path) if !location.is_empty() => Some(path),
        _ => None,
    };
    let dockerfile = args
        .dockerfile
        .as_ref()
        .and_then(|d| d.location.as_deref())
        .and_then(local);
    let mut sources = OfficialSources {
        dockerfile: dockerfile.clone(),
        ..OfficialSources::default()
    };
    let Some(context) = &args.context else {
        return Ok(sources);
    };
    if let Some(root) = local(&context.location).filter(|r| r.is_dir()) {
        let preferred = dockerfile.map(|d| {
            let mut name = d.into_os_string();
            name.push(".dockerignore");
            PathBuf::from(name)
        });
        let opened = LocalContext::open(root, preferred.as_deref())?;
        sources.main = Some((opened.root, opened.ignore));
    }
    for (name, named) in &context.named {
        if let Some(root) = local(&named.location).filter(|r| r.is_dir()) {
            let opened = LocalContext::open(root, None)?;
            sources
                .named
                .push((name.clone(), opened.root, opened.ignore));
        }
    }
    Ok(sources)
}

/// The `exports` entries whose output is gone from disk: a `local`
/// directory that is missing or empty, a `tar` file that is missing. The
/// build recreates them, so Diff reports them as changed (CI jobs that
/// start from a clean checkout rely on it, as with the official provider).
pub fn missing_export_destinations(args: &ImageArgs, base: &Path) -> Vec<usize> {
    let gone = |dest: &str, directory: bool| {
        if dest.is_empty() || dest == "-" {
            return false;
        }
        let path = base.join(dest);
        if directory {
            std::fs::read_dir(&path).map_or(true, |mut entries| entries.next().is_none())
        } else {
            !path.exists()
        }
    };
    args.exports
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_disabled())
        .filter(|(_, e)| match (&e.local, &e.tar) {
            (Some(local), _) => gone(&local.dest, true),
            (None, Some(tar)) => gone(&tar.dest, false),
            (None, None) => false,
        })
        .map(|(i, _)| i)
        .collect()
}

/// Symlinks are treated as buildx treats them: a Dockerfile path and a
/// context root that are links are followed (buildx reads and sends what
/// they point to, wherever that is), while links *inside* a context are
/// sent as links, never followed, so only their target text counts. A file
/// outside the project reached through an inner link therefore cannot
/// change an image, and does not change its hash either.
#[cfg(test)]
mod symlink_tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;
    use crate::context::hash_context;

    fn hash(args: serde_json::Value, base: &Path) -> String {
        let args: ImageArgs = serde_json::from_value(args).unwrap();
        hash_context(&context_sources(&args, base).unwrap()).unwrap()
    }

    #[test]
    fn a_dockerfile_linked_from_outside_the_project_is_followed() {
        let (project, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fs::write(outside.path().join("Dockerfile.real"), "FROM scratch\n").unwrap();
        symlink(
            outside.path().join("Dockerfile.real"),
            project.path().join("Dockerfile"),
        )
        .unwrap();
        let args = serde_json::json!({"context": {"location": "."}});
        let before = hash(args.clone(), project.path());
        fs::write(outside.path().join("Dockerfile.real"), "FROM busybox\n").unwrap();
        assert_ne!(before, hash(args, project.path()), "the real file counts");
    }

    #[test]
    fn a_context_root_that_is_a_link_is_walked_where_it_points() {
        let (project, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fs::write(project.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(outside.path().join("app.txt"), "1").unwrap();
        symlink(outside.path(), project.path().join("linked")).unwrap();
        let args = serde_json::json!({
            "context": {"location": ".", "named": {"extra": {"location": "linked"}}},
        });
        let before = hash(args.clone(), project.path());
        fs::write(outside.path().join("app.txt"), "2").unwrap();
        assert_ne!(
            before,
            hash(args, project.path()),
            "files behind the link count"
        );
    }

    #[test]
    fn a_link_inside_the_context_that_escapes_it_is_not_followed() {
        let (project, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fs::write(project.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(outside.path().join("secret.txt"), "1").unwrap();
        symlink(outside.path(), project.path().join("escape")).unwrap();
        symlink("../../../../etc/passwd", project.path().join("passwd")).unwrap();
        let args = serde_json::json!({"context": {"location": "."}});
        let before = hash(args.clone(), project.path());
        fs::write(outside.path().join("secret.txt"), "2").unwrap();
        assert_eq!(
            before,
            hash(args, project.path()),
            "the build sends the link, not what is behind it"
        );
    }
}
