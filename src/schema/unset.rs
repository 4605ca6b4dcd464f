//! What "unset" means for a value, as the official provider and the
//! programs written for it understand it.
//!
//! The Go provider stores Go zero values for inputs that were never given
//! (`target: ""`, `pull: false`, `exports[0].raw: ""`, ...), and treats an
//! explicit empty string as "not given". Two helpers follow from that,
//! both driven by `schema.json`:
//!
//! - [`Schema::drop_empty_strings`]: before anything reads a property map,
//!   an optional string property holding `""` is removed (required ones
//!   stay, so their own check can name them).
//! - [`Schema::strip_unset`]: for Diff, every object property whose value
//!   equals its schema default, or is a zero value (`""`, `false`, `0`, an
//!   empty list or map) where the schema has no default, is removed at
//!   every depth. List elements are never removed: a list of one empty
//!   entry still differs from an empty list.

use serde_json::Value as Json;

use super::walk::ObjectPass;
use super::{Schema, Subject};
use crate::wire::{PropertyMap, PropertyPath, Value};

impl Schema {
    /// Removes optional string properties that hold `""`, at every depth
    /// of `map` (inside objects of schema types, lists of them and maps of
    /// them; never map *values* such as a build argument set to `""`).
    pub fn drop_empty_strings(&self, subject: Subject, map: &mut PropertyMap) {
        let (properties, required) = self.object_spec(subject);
        let root = PropertyPath::root();
        self.walk_objects(
            properties,
            required,
            map,
            &root,
            &mut DropEmptyStrings(self),
        );
    }

    /// Whether `spec` is a string, or a reference to a string enum.
    fn is_string_typed(&self, spec: &Json) -> bool {
        let spec = self.referenced(spec).unwrap_or(spec);
        spec.get("type").and_then(Json::as_str) == Some("string")
    }

    pub(super) fn referenced(&self, spec: &Json) -> Option<&Json> {
        spec.get("$ref")
            .and_then(Json::as_str)
            .and_then(|r| self.type_def(r))
    }

    /// `value` of the top-level property `name` of `subject` with every
    /// unset-equivalent property removed; `Null` when the value itself is
    /// unset-equivalent. Unknown names are left as they are.
    pub fn strip_unset(&self, subject: Subject, name: &str, mut value: Json) -> Json {
        let (properties, _) = self.object_spec(subject);
        let Some(spec) = properties.get(name) else {
            return value;
        };
        self.walk_value(spec, &mut value, &PropertyPath::key(name), &mut StripUnset);
        if is_unset(spec, &value) {
            Json::Null
        } else {
            value
        }
    }
}

/// Drops optional string properties holding `""` (required ones stay, so
/// their own check can name them).
struct DropEmptyStrings<'s>(&'s Schema);

impl ObjectPass<Value> for DropEmptyStrings<'_> {
    fn before(
        &mut self,
        properties: &Json,
        required: &[Json],
        map: &mut PropertyMap,
        _: &PropertyPath,
    ) {
        let is_required = |name: &str| required.iter().any(|r| r.as_str() == Some(name));
        map.retain(|name, value| {
            let Some(spec) = properties.get(name) else {
                return true;
            };
            let empty = matches!(value.unsecret(), Value::String(s) if s.is_empty());
            !(empty && self.0.is_string_typed(spec) && !is_required(name))
        });
    }
}

/// Removes, below each object, the properties whose (already stripped)
/// value means the same as leaving them out.
struct StripUnset;

impl ObjectPass<Json> for StripUnset {
    fn after(&mut self, properties: &Json, map: &mut serde_json::Map<String, Json>) {
        map.retain(|key, item| properties.get(key).is_none_or(|spec| !is_unset(spec, item)));
    }
}

/// Whether `value` means the same as leaving the property out.
fn is_unset(spec: &Json, value: &Json) -> bool {
    if value.is_null() {
        return true;
    }
    match spec.get("default") {
        Some(default) => same(default, value),
        None => match value {
            Json::Bool(b) => !b,
            Json::String(s) => s.is_empty(),
            Json::Number(n) => n.as_f64() == Some(0.0),
            Json::Array(items) => items.is_empty(),
            Json::Object(map) => map.is_empty(),
            Json::Null => true,
        },
    }
}

/// JSON equality with numbers compared by value (`0` equals `0.0`).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::schema;

    #[test]
    fn optional_empty_strings_are_dropped_at_every_depth() {
        let mut map: PropertyMap = crate::wire::map_from_json(json!({
            "push": true,
            "target": "",
            "dockerfile": {"inline": "FROM x", "location": ""},
            "exports": [{"raw": "", "registry": {"danglingNamePrefix": ""}}],
            "buildArgs": {"EMPTY": ""},
            "registries": [{"address": "", "password": ""}],
        }));
        schema().drop_empty_strings(Subject::ImageInputs, &mut map);
        assert_eq!(
            Value::Object(map).to_json(),
            json!({
                "push": true,
                "dockerfile": {"inline": "FROM x"},
                "exports": [{"registry": {}}],
                "buildArgs": {"EMPTY": ""},
                "registries": [{"address": ""}],
            }),
            "a build argument's value and a required address are kept"
        );
    }

    #[test]
    fn zero_values_and_defaults_are_unset_but_list_entries_stay() {
        let s = schema();
        let strip = |name, value| s.strip_unset(Subject::ImageInputs, name, value);
        assert_eq!(strip("target", json!("")), Json::Null);
        assert_eq!(strip("network", json!("default")), Json::Null);
        assert_eq!(strip("network", json!("host")), json!("host"));
        assert_eq!(strip("buildOnPreview", json!(true)), Json::Null);
        assert_eq!(strip("buildOnPreview", json!(false)), json!(false));
        assert_eq!(
            strip(
                "exports",
                json!([{"raw": "", "disabled": false, "registry": {"danglingNamePrefix": "", "push": true}}])
            ),
            strip("exports", json!([{"registry": {"push": true}}])),
        );
        assert_eq!(strip("registries", json!([{"address": ""}])), json!([{}]));
        assert_eq!(
            strip(
                "cacheFrom",
                json!([{"local": {"src": "d", "digest": ""}, "raw": ""}])
            ),
            json!([{"local": {"src": "d"}}])
        );
    }
}
