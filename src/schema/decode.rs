//! Property maps into typed values, for both resources: unknowns left out
//! (a preview's inputs may hold them), and the optional strings the
//! official provider stores as `""` for "unset" dropped by the schema.

use crate::failure::InputFailure;
use crate::wire::{PropertyMap, PropertyPath, Value, prune_unknowns};

use super::{Subject, schema};

/// `map` without optional string inputs of `subject` set to `""`: the
/// official provider stores them for every input never given, and means
/// "unset" by them.
pub fn without_empty_strings(subject: Subject, map: &PropertyMap) -> PropertyMap {
    let mut map = map.clone();
    schema().drop_empty_strings(subject, &mut map);
    map
}

/// Decodes a resource's property map into `T`, leaving unknown values out.
pub fn decode_known<T: serde::de::DeserializeOwned>(map: &PropertyMap) -> Result<T, InputFailure> {
    let json = Value::Object(prune_unknowns(map)).to_json();
    serde_json::from_value(json)
        .map_err(|e| InputFailure::new(PropertyPath::root(), format!("malformed inputs: {e}")))
}
