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

use super::args::{Dockerfile, ImageArgs};
use super::inputs::{Inputs, remove_paths};
use super::spec::{ImageSpec, syntax_failure};
use super::ssh_check::check_ssh;

/// What Check returns: the inputs to store (defaults filled in, secrets
/// and unknowns kept as they came) and every failure found.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The inputs with defaults.
    pub inputs: PropertyMap,
    /// Every problem found; empty when the inputs are valid.
    pub failures: Vec<InputFailure>,
    /// The inputs parsed, when every one is known and valid.
    pub spec: Option<ImageSpec>,
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
    let mut spec = None;
    match Inputs::decode(&typed) {
        Ok(decoded) => match checked_spec(decoded.args(), base) {
            Ok(parsed) => spec = decoded.known().map(|_| parsed),
            Err(mut found) => {
                found.retain(|f| !decoded.touches_unknown(&f.property));
                failures.extend(found);
            }
        },
        Err(failure) => failures.push(failure),
    }
    if !failures.is_empty() {
        spec = None;
    }
    // Stored as the engine's inputs: what the schema marks secret (a
    // login's password, a cache backend's keys) is secret there too,
    // however the program sent it, as the official provider's Check has it.
    schema().mark_secrets(Subject::ImageInputs, &mut inputs);
    Checked {
        inputs,
        failures,
        spec,
    }
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

/// The spec of `args` when it parses and its files and SSH agents are as
/// the build needs them; otherwise every failure of each kind.
pub fn checked_spec(args: &ImageArgs, base: &Path) -> Result<ImageSpec, Vec<InputFailure>> {
    let parsed = ImageSpec::parse(args);
    let mut failures = check_files(args, base);
    let agent = std::env::var("SSH_AUTH_SOCK").ok();
    failures.extend(check_ssh(&args.ssh, base, agent.as_deref()));
    match parsed {
        Ok(spec) if failures.is_empty() => Ok(spec),
        Ok(_) => Err(failures),
        Err(mut found) => {
            found.append(&mut failures);
            Err(found)
        }
    }
}

/// What the files must be: the context and named contexts directories
/// that exist, a local Dockerfile that can be read and parses.
fn check_files(args: &ImageArgs, base: &Path) -> Vec<InputFailure> {
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
            let path = key("context")
                .field("named")
                .field(name.clone())
                .field("location");
            check_directory(&named.location, base, &path, &mut failures);
        }
    }
    if let Some(Dockerfile {
        location: Some(location),
        inline: None,
    }) = &args.dockerfile
    {
        // A Dockerfile defaulted into a missing context adds nothing to
        // the context's own failure.
        let defaulted = Some(location) == default_dockerfile(args).as_ref();
        if (context_ok || !defaulted)
            && let Some(text) = check_dockerfile(location, base, &mut failures)
        {
            failures.extend(syntax_failure(args, &text));
        }
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
        return None; // the spec's own failure
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

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
