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

mod secrets;
mod unset;
mod walk;

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
        let mut failures = Vec::new();
        self.check_properties(
            properties,
            required,
            map,
            &PropertyPath::root(),
            &mut failures,
            subject,
        );
        failures
    }

    fn check_properties(
        &self,
        properties: &Json,
        required: &[Json],
        map: &PropertyMap,
        path: &PropertyPath,
        failures: &mut Vec<InputFailure>,
        subject: Subject,
    ) {
        for name in required.iter().filter_map(Json::as_str) {
            if matches!(map.get(name).map(Value::unsecret), None | Some(Value::Null)) {
                failures.push(InputFailure::new(
                    path.field(name),
                    "this property is required",
                ));
            }
        }
        for (name, value) in map {
            let here = path.field(name);
            match properties.get(name) {
                Some(spec) => self.check_value(spec, value, &here, failures),
                None if ignorable_extra(subject, path, name, value) => {}
                None => {
                    let known: Vec<&str> = properties
                        .as_object()
                        .map_or(Vec::new(), |m| m.keys().map(String::as_str).collect());
                    let hint = closest(name, &known)
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    failures.push(InputFailure::new(here, format!("unknown property{hint}")));
                }
            }
        }
    }

    fn check_value(
        &self,
        spec: &Json,
        value: &Value,
        path: &PropertyPath,
        failures: &mut Vec<InputFailure>,
    ) {
        let value = value.unsecret();
        if matches!(value, Value::Unknown | Value::Null) {
            return;
        }
        if let Some(reference) = spec.get("$ref").and_then(Json::as_str) {
            return self.check_reference(reference, value, path, failures);
        }
        match (spec.get("type").and_then(Json::as_str), value) {
            (Some("string"), Value::String(_)) | (Some("boolean"), Value::Bool(_)) => {}
            (Some("number"), Value::Number(n)) if n.is_finite() => {}
            (Some("integer"), Value::Number(n))
                if n.fract() == 0.0 && n.abs() <= i32::MAX as f64 => {}
            (Some("integer"), Value::Number(_)) => {
                failures.push(InputFailure::new(path.clone(), "expected a whole number"))
            }
            (Some("array"), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_value(&spec["items"], item, &path.index(i), failures);
                }
            }
            (Some("object"), Value::Object(map)) => {
                for (key, item) in map {
                    self.check_value(
                        &spec["additionalProperties"],
                        item,
                        &path.field(key),
                        failures,
                    );
                }
            }
            (Some(expected), other) => failures.push(type_failure(path, article(expected), other)),
            (None, _) => {}
        }
    }

    /// `value` against the named type `reference`: an enum's values, or
    /// an object's properties.
    fn check_reference(
        &self,
        reference: &str,
        value: &Value,
        path: &PropertyPath,
        failures: &mut Vec<InputFailure>,
    ) {
        let Some(def) = self.type_def(reference) else {
            failures.push(InputFailure::new(
                path.clone(),
                format!("schema defect: no type {reference}"),
            ));
            return;
        };
        if let Some(options) = def.get("enum").and_then(Json::as_array) {
            let allowed: Vec<&str> = options.iter().filter_map(|o| o["value"].as_str()).collect();
            match value {
                Value::String(s) if allowed.contains(&s.as_str()) => {}
                Value::String(s) => failures.push(InputFailure::new(
                    path.clone(),
                    format!("`{s}` is not one of: {}", allowed.join(", ")),
                )),
                other => failures.push(type_failure(path, "a string", other)),
            }
            return;
        }
        match value {
            Value::Object(map) => {
                let required = def
                    .get("required")
                    .and_then(Json::as_array)
                    .map_or(&[][..], Vec::as_slice);
                self.check_properties(
                    &def["properties"],
                    required,
                    map,
                    path,
                    failures,
                    Subject::ImageInputs,
                )
            }
            other => failures.push(type_failure(path, "an object", other)),
        }
    }

    /// Fills in literal schema defaults for absent properties of `subject`,
    /// at the top level and inside nested objects that are present.
    /// Defaults that name an environment variable are left to buildx, so
    /// no credential read from the environment ever lands in state.
    pub fn apply_defaults(&self, subject: Subject, map: &mut PropertyMap) {
        let (properties, _) = self.object_spec(subject);
        self.default_properties(properties, map);
    }

    fn default_properties(&self, properties: &Json, map: &mut PropertyMap) {
        let Some(properties) = properties.as_object() else {
            return;
        };
        for (name, spec) in properties {
            match map.get_mut(name) {
                Some(value) => self.default_value(spec, value),
                None => {
                    let from_env = spec.get("defaultInfo").is_some();
                    if let (Some(default), false) = (spec.get("default"), from_env) {
                        map.insert(name.clone(), Value::from_json(default));
                    }
                }
            }
        }
    }

    fn default_value(&self, spec: &Json, value: &mut Value) {
        match value {
            Value::Secret(inner) => self.default_value(spec, inner),
            Value::Array(items) => {
                for item in items {
                    self.default_value(&spec["items"], item);
                }
            }
            Value::Object(map) => {
                if let Some(def) = spec
                    .get("$ref")
                    .and_then(Json::as_str)
                    .and_then(|r| self.type_def(r))
                {
                    self.default_properties(&def["properties"], map);
                } else if let Some(inner) = spec.get("additionalProperties") {
                    for item in map.values_mut() {
                        self.default_value(inner, item);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Properties an engine or SDK may add that are not inputs.
fn ignorable_extra(subject: Subject, path: &PropertyPath, name: &str, value: &Value) -> bool {
    let top = path.segments().is_empty();
    matches!(value, Value::Null)
        || (top && name.starts_with("__"))
        || (top && matches!(subject, Subject::ImageInputs) && IMAGE_OUTPUT_NAMES.contains(&name))
        || (top && matches!(subject, Subject::IndexInputs) && name == "ref")
        || (top
            && matches!(subject, Subject::ProviderConfig)
            && matches!(name, "version" | "pluginDownloadURL"))
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
