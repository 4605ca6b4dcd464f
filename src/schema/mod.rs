//! The package schema (`schema.json`), embedded at build time, and the
//! checks and defaults it drives.
//!
//! The schema is the single source of truth for input names, JSON types,
//! enums, `required` and schema defaults: [`Schema::check_object`] reports
//! every value of the wrong type with its property path, and
//! [`Schema::apply_defaults`] fills in literal defaults. Meaning beyond
//! types (paths that must exist, one-of unions, tag syntax) lives with the
//! typed arguments in `crate::image`. This module knows nothing of gRPC.

use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::failure::InputFailure;
use crate::wire::{PropertyMap, PropertyPath, Value};

mod decode;
mod secrets;
mod unset;
mod walk;

use walk::ObjectPass;

pub use decode::{decode_known, without_empty_strings};
pub use secrets::Step;

/// The schema text served by GetSchema.
pub const SCHEMA_JSON: &str = include_str!("../../schema.json");

/// The token of the Image resource.
pub const IMAGE_TOKEN: &str = "docker-build:index:Image";

/// The token of the Index resource.
pub const INDEX_TOKEN: &str = "docker-build:index:Index";

/// Names an official SDK may send that are outputs, not inputs.
const IMAGE_OUTPUT_NAMES: [&str; 4] = ["digest", "ref", "contextHash", "cacheReport"];

/// The parsed package schema.
pub struct Schema {
    json: Json,
}

/// The schema, parsed once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema {
        // Invariant: schema.json is checked by tests and by CI; a parse
        // failure here is a build defect, not a runtime condition.
        json: serde_json::from_str(SCHEMA_JSON).expect("embedded schema.json is valid JSON"),
    })
}

/// Which object a property map is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// The inputs of `docker-build:index:Image`.
    ImageInputs,
    /// The inputs of `docker-build:index:Index`.
    IndexInputs,
    /// The provider's configuration.
    ProviderConfig,
}

impl Schema {
    fn object_spec(&self, subject: Subject) -> (&Json, &[Json]) {
        let (properties, required) = match subject {
            Subject::ImageInputs => {
                let resource = &self.json["resources"][IMAGE_TOKEN];
                (&resource["inputProperties"], &resource["requiredInputs"])
            }
            Subject::IndexInputs => {
                let resource = &self.json["resources"][INDEX_TOKEN];
                (&resource["inputProperties"], &resource["requiredInputs"])
            }
            Subject::ProviderConfig => (&self.json["provider"]["inputProperties"], &Json::Null),
        };
        (
            properties,
            required.as_array().map_or(&[][..], Vec::as_slice),
        )
    }

    fn type_def(&self, reference: &str) -> Option<&Json> {
        let token = reference.strip_prefix("#/types/")?;
        self.json["types"].get(token)
    }

    /// Every property name of `subject`, for schema-wide tests.
    pub fn property_names(&self, subject: Subject) -> Vec<String> {
        let (properties, _) = self.object_spec(subject);
        properties
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether the property at `path` (of `subject`) is marked secret.
    pub fn is_secret(&self, subject: Subject, path: &[&str]) -> bool {
        let (mut properties, _) = self.object_spec(subject);
        let mut spec = &Json::Null;
        for name in path {
            spec = &properties[*name];
            let mut target = spec;
            while let Some(items) = target
                .get("items")
                .or_else(|| target.get("additionalProperties"))
            {
                target = items;
            }
            if let Some(reference) = target.get("$ref").and_then(Json::as_str) {
                properties = self
                    .type_def(reference)
                    .map_or(&Json::Null, |t| &t["properties"]);
            }
        }
        spec.get("secret").and_then(Json::as_bool).unwrap_or(false)
    }

    /// Checks a property map against `subject`: unknown names, missing
    /// required properties and values of the wrong type, each reported with
    /// its path. Unknown values pass; secrets are checked by their content.
    pub fn check_object(&self, subject: Subject, map: &PropertyMap) -> Vec<InputFailure> {
        let (properties, required) = self.object_spec(subject);
        let mut pass = CheckValues {
            schema: self,
            subject,
            failures: Vec::new(),
        };
        // The walk may edit; this one only reads, so it reads a copy.
        let mut map = map.clone();
        self.walk_objects(
            properties,
            required,
            &mut map,
            &PropertyPath::root(),
            &mut pass,
        );
        pass.failures
    }

    /// Fills in literal schema defaults for absent properties of `subject`,
    /// at the top level and inside nested objects that are present.
    /// Defaults that name an environment variable are left to buildx, so
    /// no credential read from the environment ever lands in state.
    pub fn apply_defaults(&self, subject: Subject, map: &mut PropertyMap) {
        let (properties, required) = self.object_spec(subject);
        let root = PropertyPath::root();
        self.walk_objects(properties, required, map, &root, &mut ApplyDefaults);
    }
}

/// Fills in each object's absent properties that have a literal default.
struct ApplyDefaults;

impl ObjectPass<Value> for ApplyDefaults {
    fn before(&mut self, properties: &Json, _: &[Json], map: &mut PropertyMap, _: &PropertyPath) {
        let Some(properties) = properties.as_object() else {
            return;
        };
        for (name, spec) in properties {
            let from_env = spec.get("defaultInfo").is_some();
            if let (Some(default), false, false) =
                (spec.get("default"), from_env, map.contains_key(name))
            {
                map.insert(name.clone(), Value::from_json(default));
            }
        }
    }
}

/// Value checking: missing required properties, names the schema does
/// not declare, and values of the wrong type or outside an enum, each
/// failure with its path. Unknown values pass; secrets are checked by
/// their content.
struct CheckValues<'s> {
    schema: &'s Schema,
    subject: Subject,
    failures: Vec<InputFailure>,
}

impl ObjectPass<Value> for CheckValues<'_> {
    fn before(&mut self, _: &Json, required: &[Json], map: &mut PropertyMap, path: &PropertyPath) {
        for name in required.iter().filter_map(Json::as_str) {
            if matches!(map.get(name).map(Value::unsecret), None | Some(Value::Null)) {
                self.failures.push(InputFailure::new(
                    path.field(name),
                    "this property is required",
                ));
            }
        }
    }

    fn undeclared(&mut self, properties: &Json, name: &str, value: &Value, path: &PropertyPath) {
        if ignorable_extra(self.subject, path, name, value) {
            return;
        }
        let known: Vec<&str> = properties
            .as_object()
            .map_or(Vec::new(), |m| m.keys().map(String::as_str).collect());
        let hint = closest(name, &known)
            .map(|k| format!("; did you mean `{k}`?"))
            .unwrap_or_default();
        self.failures.push(InputFailure::new(
            path.field(name),
            format!("unknown property{hint}"),
        ));
    }

    fn value(&mut self, spec: &Json, value: &mut Value, path: &PropertyPath) -> bool {
        if matches!(value, Value::Unknown | Value::Null) {
            return false;
        }
        if let Some(reference) = spec.get("$ref").and_then(Json::as_str) {
            return self.reference(reference, value, path);
        }
        let failure = match (spec.get("type").and_then(Json::as_str), &*value) {
            (Some("array"), Value::Array(_)) | (Some("object"), Value::Object(_)) => return true,
            (Some("string"), Value::String(_)) | (Some("boolean"), Value::Bool(_)) => None,
            (Some("number"), Value::Number(n)) if n.is_finite() => None,
            (Some("integer"), Value::Number(n))
                if n.fract() == 0.0 && n.abs() <= i32::MAX as f64 =>
            {
                None
            }
            (Some("integer"), Value::Number(_)) => {
                Some(InputFailure::new(path.clone(), "expected a whole number"))
            }
            (Some(expected), other) => Some(type_failure(path, article(expected), other)),
            (None, _) => None,
        };
        self.failures.extend(failure);
        false
    }
}

impl CheckValues<'_> {
    /// `value` against the named type `reference`: one of an enum's values
    /// (nothing below), or an object (its properties are walked next).
    fn reference(&mut self, reference: &str, value: &Value, path: &PropertyPath) -> bool {
        let Some(def) = self.schema.type_def(reference) else {
            self.failures.push(InputFailure::new(
                path.clone(),
                format!("schema defect: no type {reference}"),
            ));
            return false;
        };
        if reference.ends_with(PLATFORM_TYPE) {
            // Its enum lists common platforms for the SDKs; a build takes
            // any platform containerd reads, as the official provider's.
            match value {
                Value::String(s) => {
                    if let Err(why) = crate::model::platform::check_platform(s) {
                        let why = format!("`{s}` is not a platform ({why}), e.g. `linux/arm64`");
                        self.failures.push(InputFailure::new(path.clone(), why));
                    }
                }
                other => self.failures.push(type_failure(path, "a string", other)),
            }
            return false;
        }
        if let Some(options) = def.get("enum").and_then(Json::as_array) {
            let allowed: Vec<&str> = options.iter().filter_map(|o| o["value"].as_str()).collect();
            match value {
                Value::String(s) if allowed.contains(&s.as_str()) => {}
                Value::String(s) => self.failures.push(InputFailure::new(
                    path.clone(),
                    format!("`{s}` is not one of: {}", allowed.join(", ")),
                )),
                other => self.failures.push(type_failure(path, "a string", other)),
            }
            return false;
        }
        match value {
            Value::Object(_) => true,
            other => {
                self.failures.push(type_failure(path, "an object", other));
                false
            }
        }
    }
}

/// The schema type whose values are platform specifiers, not its enum's.
const PLATFORM_TYPE: &str = "docker-build:index:Platform";

/// Properties an engine or SDK may add that are not inputs.
fn ignorable_extra(subject: Subject, path: &PropertyPath, name: &str, value: &Value) -> bool {
    let top = path.segments().is_empty();
    matches!(value, Value::Null)
        || (top && name.starts_with("__"))
        || (top && matches!(subject, Subject::ImageInputs) && IMAGE_OUTPUT_NAMES.contains(&name))
        || (top && matches!(subject, Subject::IndexInputs) && name == "ref")
        // As the official provider, a configuration key it does not read
        // is no failure (`provider::check_config` warns of it).
        || (top && matches!(subject, Subject::ProviderConfig))
}

fn article(kind: &str) -> &'static str {
    match kind {
        "string" => "a string",
        "boolean" => "a boolean",
        "integer" => "a whole number",
        "number" => "a number",
        "array" => "a list",
        "object" => "a map",
        _ => "another type",
    }
}

fn type_failure(path: &PropertyPath, expected: &str, found: &Value) -> InputFailure {
    let found = match found {
        Value::Null | Value::Unknown => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
        Value::Secret(_) => "a secret",
    };
    InputFailure::new(path.clone(), format!("expected {expected}, found {found}"))
}

/// The known name closest to a misspelt one, if any is close.
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
