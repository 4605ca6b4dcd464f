//! Which local files an Image's build reads, for the context hash.

use std::path::{Path, PathBuf};

use crate::context::{
    BuildSources, ContextSources, HashError, LocalContext, Location, build_sources, classify,
};

use super::args::ImageArgs;

/// The local Dockerfile, context and named contexts of `args`, with the
/// `.dockerignore` rules that apply to each. Remote locations and inline
/// Dockerfiles contribute nothing (an inline Dockerfile is compared as an
/// input instead).
pub fn context_sources(args: &ImageArgs, base: &Path) -> Result<ContextSources, HashError> {
    let dockerfile = args
        .dockerfile
        .as_ref()
        .and_then(|d| d.location.as_deref())
        .and_then(|location| match classify(location, base) {
            Location::Local(path) => Some(path),
            Location::Remote => None,
        });
    // BuildKit prefers `<Dockerfile>.dockerignore` for the main context.
    let preferred_ignore = dockerfile.as_ref().map(|d| {
        let mut name = d.as_os_str().to_owned();
        name.push(".dockerignore");
        PathBuf::from(name)
    });
    // With `hashOnlyBuildSources`, only what the Dockerfile can read counts.
    let only = if args.hash_only_build_sources.unwrap_or(false) {
        let inline = args.dockerfile.as_ref().and_then(|d| d.inline.as_deref());
        let text = match (&dockerfile, inline) {
            (_, Some(inline)) => Some(inline.to_owned()),
            (Some(path), None) => {
                Some(std::fs::read_to_string(path).map_err(|source| HashError {
                    path: path.clone(),
                    source,
                })?)
            }
            (None, None) => None,
        };
        match text.map(|t| build_sources(&t)) {
            Some(BuildSources::Everything(why)) => {
                tracing::debug!("hashing the whole context: {why}");
                None
            }
            Some(sources) => sources.rules(),
            None => None,
        }
    } else {
        None
    };
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
