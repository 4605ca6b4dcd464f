//! One walk guided by `schema.json`, for every pass that reads or edits
//! values by what the schema says of them: value checking, defaults,
//! secret marking and dropping empty optional strings over property maps,
//! and stripping unset values over the JSON Diff compares. Each object of a schema type
//! is handed to the pass before the walk goes below it and again after;
//! each value, with its declaration and path, before the walk goes into it
//! (through lists, maps and secrets to the objects nested in its declared
//! properties); each property the schema does not declare, in its place.

use serde_json::Value as Json;

use super::Schema;
use crate::wire::{PropertyMap, PropertyPath, Value};

/// A value the schema can guide a walk through.
pub(super) trait SchemaTree: Sized + 'static {
    /// An object's map.
    type Map;

    /// What this value is, for the walk.
    fn shape(&mut self) -> Shape<'_, Self>;

    /// An object's entries, values mutable.
    fn entries(map: &mut Self::Map) -> impl Iterator<Item = (&String, &mut Self)>;
}

/// What a value is, for the walk.
pub(super) enum Shape<'a, T: SchemaTree> {
    /// A secret's content.
    Secret(&'a mut T),
    /// A list's items.
    List(&'a mut Vec<T>),
    /// An object.
    Object(&'a mut T::Map),
    /// Anything else: nothing below it.
    Leaf,
}

/// What a pass does on the walk. Every method has a default that does
/// nothing (and, for values, goes on below).
pub(super) trait ObjectPass<T: SchemaTree> {
    /// An object of a schema type, given its declared `properties` and
    /// `required` names, before the walk goes below it.
    fn before(
        &mut self,
        _properties: &Json,
        _required: &[Json],
        _map: &mut T::Map,
        _path: &PropertyPath,
    ) {
    }

    /// A value (a secret's content, not the secret) declared by `spec`;
    /// whether the walk goes into it.
    fn value(&mut self, _spec: &Json, _value: &mut T, _path: &PropertyPath) -> bool {
        true
    }

    /// A property the object's schema type does not declare.
    fn undeclared(&mut self, _properties: &Json, _name: &str, _value: &T, _path: &PropertyPath) {}

    /// The object again, after everything below it was walked.
    fn after(&mut self, _properties: &Json, _map: &mut T::Map) {}
}

impl SchemaTree for Value {
    type Map = PropertyMap;

    fn shape(&mut self) -> Shape<'_, Self> {
        match self {
            Value::Secret(inner) => Shape::Secret(inner),
            Value::Array(items) => Shape::List(items),
            Value::Object(map) => Shape::Object(map),
            _ => Shape::Leaf,
        }
    }

    fn entries(map: &mut PropertyMap) -> impl Iterator<Item = (&String, &mut Self)> {
        map.iter_mut()
    }
}

impl SchemaTree for Json {
    type Map = serde_json::Map<String, Json>;

    fn shape(&mut self) -> Shape<'_, Self> {
        match self {
            Json::Array(items) => Shape::List(items),
            Json::Object(map) => Shape::Object(map),
            _ => Shape::Leaf,
        }
    }

    fn entries(map: &mut Self::Map) -> impl Iterator<Item = (&String, &mut Self)> {
        map.iter_mut()
    }
}

impl Schema {
    /// Walks `map` (an object with `properties` and `required`, at `path`)
    /// and every object of a schema type below its declared properties.
    pub(super) fn walk_objects<T: SchemaTree>(
        &self,
        properties: &Json,
        required: &[Json],
        map: &mut T::Map,
        path: &PropertyPath,
        pass: &mut dyn ObjectPass<T>,
    ) {
        pass.before(properties, required, map, path);
        for (name, value) in T::entries(map) {
            match properties.get(name) {
                Some(spec) => self.walk_value(spec, value, &path.field(name), pass),
                None => pass.undeclared(properties, name, value, path),
            }
        }
        pass.after(properties, map);
    }

    /// Walks `value`, declared by `spec`, at `path`.
    pub(super) fn walk_value<T: SchemaTree>(
        &self,
        spec: &Json,
        value: &mut T,
        path: &PropertyPath,
        pass: &mut dyn ObjectPass<T>,
    ) {
        if let Shape::Secret(inner) = value.shape() {
            return self.walk_value(spec, inner, path, pass);
        }
        if !pass.value(spec, value, path) {
            return;
        }
        match value.shape() {
            Shape::Secret(_) | Shape::Leaf => {}
            Shape::List(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.walk_value(&spec["items"], item, &path.index(i), pass);
                }
            }
            Shape::Object(map) => {
                if let Some(def) = self.referenced(spec) {
                    let required = def
                        .get("required")
                        .and_then(Json::as_array)
                        .map_or(&[][..], Vec::as_slice);
                    self.walk_objects(&def["properties"], required, map, path, pass);
                } else if let Some(inner) = spec.get("additionalProperties") {
                    for (key, item) in T::entries(map) {
                        self.walk_value(inner, item, &path.field(key), pass);
                    }
                }
            }
        }
    }
}
