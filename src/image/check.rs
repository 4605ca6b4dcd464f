//! Check for `docker-build:index:Image`: fill in defaults, then find every
//! problem with the inputs at once, each with its property path.
//!
//! The order is fixed: defaults first, then schema types (a value of the
//! wrong type is reported and set aside), then the meaning of the known
//! values. Failures about values that are still unknown are not reported:
//! a preview must not fail on what it cannot see yet.

use std::path::Path;

use crate::context::{Location, classify, clean, clean_location};
use crate::failure::InputFailure;
use crate::schema::{Subject, schema};
use crate::wire::{PropertyMap, PropertyPath, Value};

use super::args::ImageArgs;
use super::cache::{AzureBlob, CacheFrom, CacheTo, S3Credentials};
use super::csv::{check_raw_cache, check_raw_export};
use super::dockerfile_syntax::syntax_error;
use super::export::Export;
use super::inputs::{Inputs, remove_paths};
use super::reference::Reference;

/// What Check returns: the inputs to store (defaults filled in, secrets
/// and unknowns kept as they came) and every failure found.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The inputs with defaults.
    pub inputs: PropertyMap,
    /// Every problem found; empty when the inputs are valid.
    pub failures: Vec<InputFailure>,
}

/// Checks an Image's new inputs; relative paths resolve against `base`.
pub fn check_image(news: &PropertyMap, base: &Path) -> Checked {
    let mut inputs = news.clone();
    // An explicit `""` means "not given" to the official provider and to
    // the programs written for it.
    schema().drop_empty_strings(Subject::ImageInputs, &mut inputs);
    schema().apply_defaults(Subject::ImageInputs, &mut inputs);
    apply_context_defaults(&mut inputs);
    let mut failures = schema().check_object(Subject::ImageInputs, &inputs);

    let mut typed = inputs.clone();
    let bad: Vec<PropertyPath> = failures.iter().map(|f| f.property.clone()).collect();
    remove_paths(&mut typed, &bad);
    match Inputs::decode(&typed) {
        Ok(decoded) => {
            let mut found = validate(decoded.args(), base);
            found.retain(|f| !decoded.touches_unknown(&f.property));
            failures.extend(found);
        }
        Err(failure) => failures.push(failure),
    }
    Checked { inputs, failures }
}

/// The Dockerfile path Check fills in for a context location, cleaned as
/// the official provider cleans it (`./app` gives `app/Dockerfile`).
fn default_dockerfile_for(location: &str) -> String {
    clean(&format!("{location}/Dockerfile"))
}

fn default_dockerfile(args: &ImageArgs) -> Option<String> {
    args.context
        .as_ref()
        .map(|c| default_dockerfile_for(&c.location))
}

/// Context `.` and Dockerfile `<context>/Dockerfile`, where not given.
fn apply_context_defaults(inputs: &mut PropertyMap) {
    let context = inputs
        .entry("context".to_owned())
        .or_insert_with(|| Value::Object(PropertyMap::new()));
    let mut context_location = None;
    if let Value::Object(map) = secretless(context) {
        let location = map.entry("location".to_owned()).or_insert(Value::Null);
        if matches!(location, Value::Null) || matches!(location, Value::String(s) if s.is_empty()) {
            *location = Value::String(".".to_owned());
        }
        if let Value::String(s) = location.unsecret() {
            context_location = Some(s.clone());
        }
    }
    // The Dockerfile defaults only when the context is a known local path.
    let Some(location) =
        context_location.filter(|l| matches!(classify(l, Path::new("")), Location::Local(_)))
    else {
        return;
    };
    let dockerfile = inputs
        .entry("dockerfile".to_owned())
        .or_insert_with(|| Value::Object(PropertyMap::new()));
    if let Value::Object(map) = secretless(dockerfile) {
        let given = |key: &str| !matches!(map.get(key), None | Some(Value::Null));
        if !given("location") && !given("inline") {
            map.insert(
                "location".to_owned(),
                Value::String(default_dockerfile_for(&location)),
            );
        } else if let Some(Value::String(given)) = map.get_mut("location").map(secretless) {
            *given = clean_location(given);
        }
    }
}

fn secretless(value: &mut Value) -> &mut Value {
    match value {
        Value::Secret(inner) => secretless(inner),
        other => other,
    }
}

/// The meaning of known values: paths that must exist, one-of unions,
/// references, and rules that span several inputs.
pub fn validate(args: &ImageArgs, base: &Path) -> Vec<InputFailure> {
    let mut failures = Vec::new();
    let key = PropertyPath::key;

    let mut context_ok = true;
    if let Some(context) = &args.context {
        let before = failures.len();
        check_directory(
            &context.location,
            base,
            &key("context").field("location"),
            &mut failures,
        );
        context_ok = failures.len() == before;
        for (name, named) in &context.named {
            if name.is_empty() {
                failures.push(InputFailure::new(
                    key("context").field("named"),
                    "a named context needs a name",
                ));
            }
            let path = key("context")
                .field("named")
                .field(name.clone())
                .field("location");
            if named.location.is_empty() {
                failures.push(InputFailure::new(path, "must not be empty"));
            } else {
                check_directory(&named.location, base, &path, &mut failures);
            }
        }
    }

    if let Some(dockerfile) = &args.dockerfile {
        match (&dockerfile.location, &dockerfile.inline) {
            (Some(_), Some(_)) => failures.push(InputFailure::new(
                key("dockerfile"),
                "set either `location` or `inline`, not both",
            )),
            // A Dockerfile defaulted into a missing context adds nothing
            // to the context's own failure.
            (Some(location), None)
                if !context_ok && Some(location) == default_dockerfile(args).as_ref() => {}
            (Some(location), None) => {
                if let Some(text) = check_dockerfile(location, base, &mut failures) {
                    check_syntax(args, &text, &mut failures);
                }
            }
            (None, Some(inline)) if inline.trim().is_empty() => failures.push(InputFailure::new(
                key("dockerfile").field("inline"),
                "the inline Dockerfile is empty",
            )),
            (None, Some(inline)) => check_syntax(args, inline, &mut failures),
            _ => {}
        }
    }

    for (i, tag) in args.tags.iter().enumerate() {
        if let Err(reason) = Reference::parse(tag) {
            failures.push(InputFailure::new(key("tags").index(i), reason));
        }
    }

    let mut export_names = false;
    for (i, entry) in args.exports.iter().enumerate() {
        if entry.is_disabled() {
            continue;
        }
        let path = key("exports").index(i);
        match entry.validate(&path) {
            Ok(export) => {
                if let Export::Raw(raw) = &export
                    && let Err(why) = check_raw_export(raw)
                {
                    failures.push(InputFailure::new(path.clone(), raw_failure(raw, &why)));
                }
                export_names |= !export.names().is_empty();
                if export.pushes() && args.tags.is_empty() && export.names().is_empty() {
                    failures.push(InputFailure::new(
                        path,
                        "this export pushes, but the image has no `tags` (or `names`) to push to",
                    ));
                }
            }
            Err(failure) => failures.push(failure),
        }
    }
    if args.push && args.tags.is_empty() && !export_names {
        failures.push(InputFailure::new(
            key("tags"),
            "`push` is true but no tags are set: add at least one tag naming the registry, e.g. `registry.example.com/app:latest`",
        ));
    }

    let mut credentials = CacheCredentials::default();
    for (i, entry) in args.cache_from.iter().enumerate() {
        let path = key("cacheFrom").index(i);
        match (entry.is_disabled(), entry.validate(&path)) {
            (true, _) => {}
            (false, Ok(CacheFrom::Raw(raw))) => check_cache_raw(&raw, path, &mut failures),
            (false, Ok(CacheFrom::AzBlob(blob))) => credentials.azure(&blob, path, &mut failures),
            (false, Ok(entry)) => credentials.s3(entry.s3_credentials(), path, &mut failures),
            (false, Err(failure)) => failures.push(failure),
        }
    }
    for (i, entry) in args.cache_to.iter().enumerate() {
        let path = key("cacheTo").index(i);
        match (entry.is_disabled(), entry.validate(&path)) {
            (true, _) => {}
            (false, Ok(CacheTo::Raw(raw))) => check_cache_raw(&raw, path, &mut failures),
            (false, Ok(CacheTo::AzBlob(blob))) => credentials.azure(&blob, path, &mut failures),
            (false, Ok(entry)) => credentials.s3(entry.s3_credentials(), path, &mut failures),
            (false, Err(failure)) => failures.push(failure),
        }
    }

    for (i, ssh) in args.ssh.iter().enumerate() {
        let path = key("ssh").index(i);
        if ssh.id.trim().is_empty() {
            failures.push(InputFailure::new(
                path.field("id"),
                "must not be empty; `default` is the usual id",
            ));
        } else if ssh.id.contains([',', '=']) {
            failures.push(InputFailure::new(
                path.field("id"),
                "must not contain `,` or `=`",
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
        let valid = host
            .split_once([':', '='])
            .is_some_and(|(name, ip)| !name.is_empty() && !ip.is_empty());
        if !valid {
            failures.push(InputFailure::new(
                key("addHosts").index(i),
                format!("`{host}` is not of the form `host:ip`"),
            ));
        }
    }
    for (i, registry) in args.registries.iter().enumerate() {
        if registry.address.trim().is_empty() {
            failures.push(InputFailure::new(
                key("registries").index(i).field("address"),
                "must not be empty",
            ));
        }
    }
    for name in args
        .secrets
        .keys()
        .filter(|k| k.is_empty() || k.contains([',', '=']))
    {
        failures.push(InputFailure::new(
            key("secrets").field(name.clone()),
            "a secret id must be non-empty, without `,` or `=`",
        ));
    }
    if args.build_args.keys().any(String::is_empty) {
        failures.push(InputFailure::new(
            key("buildArgs"),
            "a build argument needs a name",
        ));
    }
    failures
}

fn check_directory(
    location: &str,
    base: &Path,
    path: &PropertyPath,
    failures: &mut Vec<InputFailure>,
) {
    if location.is_empty() {
        return;
    }
    if let Location::Local(dir) = classify(location, base) {
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => failures.push(InputFailure::new(
                path.clone(),
                format!("`{}` is not a directory", dir.display()),
            )),
            Err(e) => failures.push(InputFailure::new(
                path.clone(),
                format!("the directory `{}` cannot be used: {e}", dir.display()),
            )),
        }
    }
}

/// Checks that a local Dockerfile can be read; its text, when it could.
fn check_dockerfile(
    location: &str,
    base: &Path,
    failures: &mut Vec<InputFailure>,
) -> Option<String> {
    let path = PropertyPath::key("dockerfile").field("location");
    if location.is_empty() {
        failures.push(InputFailure::new(path, "must not be empty"));
        return None;
    }
    let Location::Local(file) = classify(location, base) else {
        return None;
    };
    // Reading proves more than a stat: the build will need the bytes.
    let opened = std::fs::File::open(&file).and_then(|f| f.metadata().map(|m| (f, m)));
    let failure = match opened {
        Ok((mut f, m)) if m.is_file() => {
            let mut text = Vec::new();
            match std::io::Read::read_to_end(&mut f, &mut text) {
                Ok(_) => return Some(String::from_utf8_lossy(&text).into_owned()),
                Err(e) => format!("cannot read the Dockerfile `{}`: {e}", file.display()),
            }
        }
        Ok(_) => format!("`{}` is not a file", file.display()),
        Err(e) => format!("cannot read the Dockerfile `{}`: {e}", file.display()),
    };
    failures.push(InputFailure::new(path, failure));
    None
}

/// A Dockerfile syntax error, reported on `dockerfile` with its line,
/// unless a `BUILDKIT_SYNTAX` build argument names another frontend.
fn check_syntax(args: &ImageArgs, text: &str, failures: &mut Vec<InputFailure>) {
    if args.build_args.contains_key("BUILDKIT_SYNTAX") {
        return;
    }
    if let Some(error) = syntax_error(text) {
        failures.push(InputFailure::new(
            PropertyPath::key("dockerfile"),
            format!("Dockerfile parse error on {error}"),
        ));
    }
}

/// Cache credentials, which never go on a command line: S3 ones travel in
/// buildx's one environment, so every S3 entry must agree on them; an
/// Azure Blob account key can only be given on buildx's command line, so
/// it is refused.
#[derive(Default)]
struct CacheCredentials {
    /// The first S3 entry with credentials, and them.
    s3: Option<(PropertyPath, S3Credentials)>,
}

impl CacheCredentials {
    fn s3(
        &mut self,
        found: Option<S3Credentials>,
        path: PropertyPath,
        failures: &mut Vec<InputFailure>,
    ) {
        let Some(found) = found else { return };
        match &self.s3 {
            None => self.s3 = Some((path, found)),
            Some((_, first)) if *first == found => {}
            Some((first_path, _)) => failures.push(InputFailure::new(
                path.field("s3"),
                format!(
                    "uses other S3 credentials than `{first_path}`: buildx takes S3 credentials from its \
                     environment (never from its command line, which any user can read), so one build \
                     can use one set; use the same credentials or give them to the builder instead"
                ),
            )),
        }
    }

    fn azure(&mut self, blob: &AzureBlob, path: PropertyPath, failures: &mut Vec<InputFailure>) {
        if blob
            .secret_access_key
            .as_deref()
            .is_some_and(|k| !k.is_empty())
        {
            failures.push(InputFailure::new(
                path.field("azblob").field("secretAccessKey"),
                "buildx takes an Azure Blob account key only on its command line, which any user \
                 of the machine can read, so this provider does not pass it: leave it unset and let \
                 the builder authenticate with Azure itself (AZURE_CLIENT_ID, AZURE_TENANT_ID and \
                 AZURE_CLIENT_SECRET in its environment, or a managed identity)",
            ));
        }
    }
}

fn check_cache_raw(raw: &str, path: PropertyPath, failures: &mut Vec<InputFailure>) {
    if let Err(why) = check_raw_cache(raw) {
        failures.push(InputFailure::new(path, raw_failure(raw, &why)));
    }
}

fn raw_failure(raw: &str, why: &str) -> String {
    format!("the raw entry `{raw}` does not parse as buildx reads it: {why}")
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
