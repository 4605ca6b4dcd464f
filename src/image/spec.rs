//! An Image's inputs parsed once into what the build, Read and Delete work
//! from: each one-of entry (`cacheFrom`, `cacheTo`, `exports`) as its enum,
//! tags as references, the Dockerfile as its source. [`ImageSpec::parse`] returns every failure with its
//! path, or a spec nothing downstream needs to validate again.
//!
//! Parsing reads no file: stored state parses the same way whether or not
//! the files it was built from still exist. What the files must be
//! (directories that exist, a readable Dockerfile) is Check's and the
//! build's concern (`check::check_files`).

use crate::failure::InputFailure;
use crate::wire::PropertyPath;

use super::args::ImageArgs;
use super::dockerfile_syntax::syntax_error;
use super::export_names::{NamedExport, pushed_names};
use crate::build::DockerfileSource;
use crate::build::csv::{check_raw_cache, check_raw_export};
use crate::build::extra_hosts;
use crate::model::Reference;
use crate::model::cache::{CacheFrom, CacheTo};
use crate::model::export::Export;

/// An Image's inputs, parsed and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpec {
    /// The inputs as declared; the fields below are the parsed forms of
    /// its one-of and reference inputs, which nothing reads raw.
    pub args: ImageArgs,
    /// The tags, parsed.
    pub tags: Vec<Reference>,
    /// The Dockerfile's source.
    pub dockerfile: DockerfileSource,
    /// The enabled `cacheFrom` entries.
    pub cache_from: Vec<CacheFrom>,
    /// The enabled `cacheTo` entries.
    pub cache_to: Vec<CacheTo>,
    /// The enabled exports.
    pub exports: Vec<Export>,
    /// The names a push without `tags` goes to: those of the first image
    /// export that pushes, parsed (every export's names are checked).
    pub export_names: Vec<Reference>,
}

impl ImageSpec {
    /// Parses `args`, collecting every failure with its path.
    pub fn parse(args: &ImageArgs) -> Result<ImageSpec, Vec<InputFailure>> {
        let mut failures = Vec::new();
        let key = PropertyPath::key;

        if let Some(context) = &args.context {
            for (name, named) in &context.named {
                if name.is_empty() {
                    failures.push(InputFailure::new(
                        key("context").field("named"),
                        "a named context needs a name",
                    ));
                }
                if named.location.is_empty() {
                    let path = key("context").field("named").field(name.clone());
                    failures.push(InputFailure::new(
                        path.field("location"),
                        "must not be empty",
                    ));
                }
            }
        }

        let dockerfile = parse_dockerfile(args, &mut failures);
        let tags = parse_tags(args, &mut failures);
        let exports = parse_exports(args, &mut failures);
        let export_names = pushed_names(&exports, args.push);
        let cache_from = parse_caches(
            &args.cache_from,
            "cacheFrom",
            |e, p| e.validate(p),
            &mut failures,
        );
        let cache_to = parse_caches(
            &args.cache_to,
            "cacheTo",
            |e, p| e.validate(p),
            &mut failures,
        );
        check_plain_lists(args, &mut failures);
        if failures.is_empty() {
            Ok(ImageSpec {
                args: args.clone(),
                tags,
                dockerfile,
                cache_from,
                cache_to,
                exports: exports.into_iter().map(|e| e.export).collect(),
                export_names,
            })
        } else {
            Err(failures)
        }
    }

    /// Whether the build pushes anywhere (`push`, or a pushing export).
    pub fn pushes(&self) -> bool {
        self.args.push || self.exports.iter().any(Export::pushes)
    }
}

/// `dockerfile`: location or inline, not both; inline text that parses.
fn parse_dockerfile(args: &ImageArgs, failures: &mut Vec<InputFailure>) -> DockerfileSource {
    let key = PropertyPath::key("dockerfile");
    let Some(dockerfile) = &args.dockerfile else {
        return DockerfileSource::Default;
    };
    match (&dockerfile.location, &dockerfile.inline) {
        (Some(_), Some(_)) => {
            failures.push(InputFailure::new(
                key,
                "set either `location` or `inline`, not both",
            ));
            DockerfileSource::Default
        }
        (Some(location), None) => {
            if location.is_empty() {
                failures.push(InputFailure::new(
                    key.field("location"),
                    "must not be empty",
                ));
            }
            DockerfileSource::Location(location.clone())
        }
        (None, Some(inline)) if inline.trim().is_empty() => {
            failures.push(InputFailure::new(
                key.field("inline"),
                "the inline Dockerfile is empty",
            ));
            DockerfileSource::Default
        }
        (None, Some(inline)) => {
            if let Some(failure) = syntax_failure(args, inline) {
                failures.push(failure);
            }
            DockerfileSource::Inline(inline.clone())
        }
        (None, None) => DockerfileSource::Default,
    }
}

/// A Dockerfile syntax error, reported on `dockerfile` with its line,
/// unless a `BUILDKIT_SYNTAX` build argument names another frontend.
pub(super) fn syntax_failure(args: &ImageArgs, text: &str) -> Option<InputFailure> {
    if args.build_args.contains_key("BUILDKIT_SYNTAX") {
        return None;
    }
    syntax_error(text).map(|error| {
        InputFailure::new(
            PropertyPath::key("dockerfile"),
            format!("Dockerfile parse error on {error}"),
        )
    })
}

fn parse_tags(args: &ImageArgs, failures: &mut Vec<InputFailure>) -> Vec<Reference> {
    let mut tags = Vec::new();
    for (i, tag) in args.tags.iter().enumerate() {
        match Reference::parse(tag) {
            Ok(reference) => tags.push(reference),
            Err(reason) => failures.push(InputFailure::new(
                PropertyPath::key("tags").index(i),
                reason,
            )),
        }
    }
    tags
}

/// The enabled exports, each one exporter, raw ones as buildx parses them,
/// with the names they give the image; a pushing export needs somewhere to
/// push.
fn parse_exports(args: &ImageArgs, failures: &mut Vec<InputFailure>) -> Vec<NamedExport> {
    let exports = enabled(
        &args.exports,
        "exports",
        |entry, path| {
            let export = entry.validate(path)?;
            if let Export::Raw(raw) = &export {
                check_raw_export(raw).map_err(|why| raw_failure(path, raw, &why))?;
            }
            let named = NamedExport::parse(export, path)?;
            if named.export.pushes() && args.tags.is_empty() && named.names.is_empty() {
                return Err(InputFailure::new(
                    path.clone(),
                    "this export pushes, but the image has no `tags` (or `names`) to push to",
                ));
            }
            Ok(named)
        },
        failures,
    );
    let names = exports.iter().any(|e| !e.names.is_empty());
    if args.push && args.tags.is_empty() && !names {
        failures.push(InputFailure::new(
            PropertyPath::key("tags"),
            "`push` is true but no tags are set: add at least one tag naming the registry, e.g. `registry.example.com/app:latest`",
        ));
    }
    exports
}

/// The enabled entries of `cacheFrom` or `cacheTo`, each one backend, raw
/// ones as buildx parses them.
fn parse_caches<I: Disableable, C: CacheEntry>(
    entries: &[I],
    name: &str,
    validate: impl Fn(&I, &PropertyPath) -> Result<C, InputFailure>,
    failures: &mut Vec<InputFailure>,
) -> Vec<C> {
    enabled(
        entries,
        name,
        |entry, path| {
            let cache = validate(entry, path)?;
            if let Some(raw) = cache.raw() {
                check_raw_cache(raw).map_err(|why| raw_failure(path, raw, &why))?;
            }
            Ok(cache)
        },
        failures,
    )
}

/// What parsing needs to see of a cache entry, in either direction.
trait CacheEntry {
    /// The raw CSV text of a `raw` entry.
    fn raw(&self) -> Option<&str>;
}

impl CacheEntry for CacheFrom {
    fn raw(&self) -> Option<&str> {
        match self {
            CacheFrom::Raw(raw) => Some(raw),
            _ => None,
        }
    }
}

impl CacheEntry for CacheTo {
    fn raw(&self) -> Option<&str> {
        match self {
            CacheTo::Raw(raw) => Some(raw),
            _ => None,
        }
    }
}

/// The parsed form of each enabled entry of a one-of list; the failures
/// of the others.
fn enabled<I: Disableable, T>(
    entries: &[I],
    name: &str,
    parse: impl Fn(&I, &PropertyPath) -> Result<T, InputFailure>,
    failures: &mut Vec<InputFailure>,
) -> Vec<T> {
    let mut parsed = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.disabled() {
            continue;
        }
        match parse(entry, &PropertyPath::key(name).index(i)) {
            Ok(value) => parsed.push(value),
            Err(failure) => failures.push(failure),
        }
    }
    parsed
}

/// An entry that `disabled: true` switches off.
trait Disableable {
    fn disabled(&self) -> bool;
}

impl Disableable for crate::model::cache::CacheFromInput {
    fn disabled(&self) -> bool {
        self.is_disabled()
    }
}

impl Disableable for crate::model::cache::CacheToInput {
    fn disabled(&self) -> bool {
        self.is_disabled()
    }
}

impl Disableable for crate::model::export::ExportInput {
    fn disabled(&self) -> bool {
        self.is_disabled()
    }
}

fn raw_failure(path: &PropertyPath, raw: &str, why: &str) -> InputFailure {
    InputFailure::new(
        path.clone(),
        format!("the raw entry `{raw}` does not parse as buildx reads it: {why}"),
    )
}

/// `ssh` and `addHosts`. Secrets and build arguments take any name, as
/// the official provider's (secrets are answered from memory by id; an
/// argument without a name is one BuildKit ignores); a login without an
/// address is warned of where it is used.
fn check_plain_lists(args: &ImageArgs, failures: &mut Vec<InputFailure>) {
    let key = PropertyPath::key;
    for (i, ssh) in args.ssh.iter().enumerate() {
        let path = key("ssh").index(i);
        // buildx reads an entry as `id=paths`: the official build would
        // take what follows a `=` in the id as a path.
        if ssh.id.contains('=') {
            failures.push(InputFailure::new(
                path.field("id"),
                "must not contain `=` (an entry is read as `id=paths`)",
            ));
        }
        for (j, p) in ssh.paths.iter().enumerate() {
            if p.trim().is_empty() {
                failures.push(InputFailure::new(
                    path.field("paths").index(j),
                    "must not be empty",
                ));
            }
        }
    }
    for (i, host) in args.add_hosts.iter().enumerate() {
        if !extra_hosts::is_valid(host) {
            failures.push(InputFailure::new(
                key("addHosts").index(i),
                format!("`{host}` is not of the form `host:ip` (or `host=ip`; several addresses separated by commas, an IPv6 one in brackets, or `host-gateway` for the Docker engine's host)"),
            ));
        }
    }
}
