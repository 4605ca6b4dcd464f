//! One walk over a property map guided by `schema.json`, for every pass
//! that edits values by what the schema says of them (secret marking,
//! dropping empty optional strings): each object of a schema type is
//! visited, then the walk goes on into its declared properties, through
//! lists, maps and secrets, to the objects nested there.

use serde_json::Value as Json;

use super::Schema;
use crate::wire::{PropertyMap, Value};

/// What a pass does to one object of a schema type: given its declared
/// `properties`, its `required` names, and the object itself.
pub(super) type ObjectVisit<'v> = dyn FnMut(&Json, &[Json], &mut PropertyMap) + 'v;

impl Schema {
    /// Visits `map` (an object with `properties` and `required`), then
    /// every object of a schema type below its declared properties.
    pub(super) fn walk_objects(
        &self,
        properties: &Json,
        required: &[Json],
        map: &mut PropertyMap,
        visit: &mut ObjectVisit<'_>,
    ) {
        visit(properties, required, map);
        for (name, value) in map.iter_mut() {
            if let Some(spec) = properties.get(name) {
                self.walk_value(spec, value, visit);
            }
        }
    }

    fn walk_value(&self, spec: &Json, value: &mut Value, visit: &mut ObjectVisit<'_>) {
        match value {
            Value::Secret(inner) => self.walk_value(spec, inner, visit),
            Value::Array(items) => {
                for item in items {
                    self.walk_value(&spec["items"], item, visit);
                }
            }
            Value::Object(map) => {
                if let Some(def) = self.referenced(spec) {
                    let required = def
                        .get("required")
                        .and_then(Json::as_array)
                        .map_or(&[][..], Vec::as_slice);
                    self.walk_objects(&def["properties"], required, map, visit);
                } else if let Some(inner) = spec.get("additionalProperties") {
                    for item in map.values_mut() {
                        self.walk_value(inner, item, visit);
                    }
                }
            }
            _ => {}
        }
    }
}
