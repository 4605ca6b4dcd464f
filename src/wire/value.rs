//! Property values as the Pulumi engine sends them, with secrets and
//! unknowns as explicit variants.
//!
//! On the wire a secret is an object tagged with a signature key and an
//! unknown is a sentinel string (see [`sig`]). Decoding turns both into
//! variants of [`Value`] so no later stage can mistake a sentinel for data;
//! encoding turns them back. Kinds this provider does not take as inputs
//! (assets, archives, resource references, byte strings)
//! are rejected with the path where they appeared.

use std::collections::BTreeMap;

use prost_types::value::Kind;

use super::path::PropertyPath;

/// Signature constants of the Pulumi wire format.
pub mod sig {
    /// The key that marks an object as a special value.
    pub const KEY: &str = "4dabf18193072939515e22adb298388d";
    /// Signature value of a secret.
    pub const SECRET: &str = "1b47061264138c4ac30d75fd1eb44270";
    /// Signature value of an asset.
    pub const ASSET: &str = "c44067f5952c0a294b673a41bacd8c17";
    /// Signature value of an archive.
    pub const ARCHIVE: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
    /// Signature value of a resource reference.
    pub const RESOURCE_REFERENCE: &str = "5cf8f73096256a8f31e491e813e4eb8e";
    /// Signature value of an output value.
    pub const OUTPUT_VALUE: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
    /// Signature value of a byte string.
    pub const BYTE_STRING: &str = "803fd3297a5875dc03ca845dda5d2a98";
    /// The general unknown sentinel; the one this provider writes.
    pub const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    /// Every sentinel string that means "not known yet" (the typed variants
    /// for bool, number, array, asset, archive and object included).
    pub const UNKNOWNS: [&str; 7] = [
        UNKNOWN,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    ];
}

/// A property value with Pulumi's secret and unknown markers made explicit.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON null, also used for an absent value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number; the wire has only doubles.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object with ordered keys.
    Object(BTreeMap<String, Value>),
    /// A value the engine must keep encrypted and out of logs.
    Secret(Box<Value>),
    /// A value not known until an upstream resource exists (preview only).
    Unknown,
}

/// A property map: the top level of a resource's inputs or state.
pub type PropertyMap = BTreeMap<String, Value>;

/// A wire value this provider does not accept as an input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {kind} values are not supported by docker-build; pass a plain value instead")]
pub struct UnsupportedValue {
    /// Where the value was found.
    pub path: PropertyPath,
    /// What kind of special value it was.
    pub kind: &'static str,
}

impl Value {
    /// Whether this value or anything inside it is unknown.
    pub fn contains_unknowns(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Secret(inner) => inner.contains_unknowns(),
            Value::Array(items) => items.iter().any(Value::contains_unknowns),
            Value::Object(map) => map.values().any(Value::contains_unknowns),
            _ => false,
        }
    }

    /// Whether this value or anything inside it is secret.
    pub fn contains_secrets(&self) -> bool {
        match self {
            Value::Secret(_) => true,
            Value::Array(items) => items.iter().any(Value::contains_secrets),
            Value::Object(map) => map.values().any(Value::contains_secrets),
            _ => false,
        }
    }

    /// The value with one layer of secret marking removed, if any.
    pub fn unsecret(&self) -> &Value {
        match self {
            Value::Secret(inner) => inner.unsecret(),
            other => other,
        }
    }

    /// Wraps the value as secret unless it already is.
    pub fn into_secret(self) -> Value {
        match self {
            Value::Secret(_) => self,
            Value::Null => Value::Null,
            other => Value::Secret(Box::new(other)),
        }
    }

    /// Every path below `base` that holds an unknown.
    pub fn unknown_paths(&self, base: &PropertyPath, out: &mut Vec<PropertyPath>) {
        match self {
            Value::Unknown => out.push(base.clone()),
            Value::Secret(inner) => inner.unknown_paths(base, out),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.unknown_paths(&base.index(i), out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    item.unknown_paths(&base.field(key), out);
                }
            }
            _ => {}
        }
    }

    /// Plain JSON with secret markers dropped. Unknowns become JSON null;
    /// callers prune unknowns first when a null would be misread.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => json_number(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(items) => items.iter().map(Value::to_json).collect(),
            Value::Object(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            Value::Secret(inner) => inner.to_json(),
        }
    }

    /// A value from plain JSON (no secrets, no unknowns).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Decodes one wire value found at `path`.
    pub fn from_wire(
        wire: &prost_types::Value,
        path: &PropertyPath,
    ) -> Result<Value, UnsupportedValue> {
        Ok(match &wire.kind {
            None | Some(Kind::NullValue(_)) => Value::Null,
            Some(Kind::BoolValue(b)) => Value::Bool(*b),
            Some(Kind::NumberValue(n)) => Value::Number(*n),
            Some(Kind::StringValue(s)) if sig::UNKNOWNS.contains(&s.as_str()) => Value::Unknown,
            Some(Kind::StringValue(s)) => Value::String(s.clone()),
            Some(Kind::ListValue(list)) => Value::Array(
                list.values
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Value::from_wire(item, &path.index(i)))
                    .collect::<Result<_, _>>()?,
            ),
            Some(Kind::StructValue(object)) => return Value::from_wire_object(object, path),
        })
    }

    fn from_wire_object(
        object: &prost_types::Struct,
        path: &PropertyPath,
    ) -> Result<Value, UnsupportedValue> {
        // Special values are told apart by the signature key's *value*: an
        // asset also carries the key, and must not be read as a secret.
        let signature = object.fields.get(sig::KEY).and_then(|v| match &v.kind {
            Some(Kind::StringValue(s)) => Some(s.as_str()),
            _ => None,
        });
        let unsupported = |kind| {
            Err(UnsupportedValue {
                path: path.clone(),
                kind,
            })
        };
        match signature {
            None => Ok(Value::Object(decode_fields(&object.fields, path)?)),
            Some(sig::SECRET) => {
                let inner = match object.fields.get("value") {
                    Some(inner) => Value::from_wire(inner, path)?,
                    None => Value::Null,
                };
                Ok(inner.into_secret())
            }
            Some(sig::ASSET) => unsupported("asset"),
            Some(sig::ARCHIVE) => unsupported("archive"),
            Some(sig::RESOURCE_REFERENCE) => unsupported("resource reference"),
            Some(sig::OUTPUT_VALUE) => {
                // A known output is its value; one without a value is not
                // known yet. Either keeps its secretness; the dependencies
                // are the engine's business.
                let inner = match object.fields.get("value") {
                    Some(inner) => Value::from_wire(inner, path)?,
                    None => Value::Unknown,
                };
                let secret = matches!(
                    object.fields.get("secret").and_then(|v| v.kind.as_ref()),
                    Some(Kind::BoolValue(true))
                );
                Ok(if secret { inner.into_secret() } else { inner })
            }
            Some(sig::BYTE_STRING) => unsupported("byte string"),
            Some(_) => unsupported("unrecognised special"),
        }
    }

    /// Encodes this value for the wire.
    pub fn to_wire(&self) -> prost_types::Value {
        let kind = match self {
            Value::Null => Kind::NullValue(0),
            Value::Bool(b) => Kind::BoolValue(*b),
            Value::Number(n) => Kind::NumberValue(*n),
            Value::String(s) => Kind::StringValue(s.clone()),
            Value::Unknown => Kind::StringValue(sig::UNKNOWN.to_owned()),
            Value::Array(items) => Kind::ListValue(prost_types::ListValue {
                values: items.iter().map(Value::to_wire).collect(),
            }),
            Value::Object(map) => Kind::StructValue(map_to_struct(map)),
            Value::Secret(inner) => {
                let mut fields = BTreeMap::new();
                fields.insert(sig::KEY.to_owned(), string_value(sig::SECRET));
                fields.insert("value".to_owned(), inner.to_wire());
                Kind::StructValue(prost_types::Struct { fields })
            }
        };
        prost_types::Value { kind: Some(kind) }
    }
}

fn string_value(s: &str) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StringValue(s.to_owned())),
    }
}

fn json_number(n: f64) -> serde_json::Value {
    // Integral doubles become JSON integers so serde can read them as i64/u32.
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

fn decode_fields(
    fields: &BTreeMap<String, prost_types::Value>,
    path: &PropertyPath,
) -> Result<PropertyMap, UnsupportedValue> {
    fields
        .iter()
        .map(|(key, value)| Ok((key.clone(), Value::from_wire(value, &path.field(key))?)))
        .collect()
}

/// Decodes a whole property map (a missing Struct is an empty map).
pub fn struct_to_map(wire: Option<&prost_types::Struct>) -> Result<PropertyMap, UnsupportedValue> {
    match wire {
        Some(object) => decode_fields(&object.fields, &PropertyPath::root()),
        None => Ok(PropertyMap::new()),
    }
}

/// The property map of a JSON object, with plain values (anything but an
/// object is an empty map): how tests and defaults write property maps.
pub fn map_from_json(json: serde_json::Value) -> PropertyMap {
    match Value::from_json(&json) {
        Value::Object(map) => map,
        _ => PropertyMap::new(),
    }
}

/// Encodes a property map as a wire Struct.
pub fn map_to_struct(map: &PropertyMap) -> prost_types::Struct {
    prost_types::Struct {
        fields: map.iter().map(|(k, v)| (k.clone(), v.to_wire())).collect(),
    }
}

/// The map with unknown values removed: an unknown object field is left
/// out, and an array holding an unknown element is left out whole (so the
/// remaining indices never shift and misname a property).
pub fn prune_unknowns(map: &PropertyMap) -> PropertyMap {
    map.iter()
        .filter_map(|(k, v)| prune(v).map(|v| (k.clone(), v)))
        .collect()
}

fn prune(value: &Value) -> Option<Value> {
    match value {
        Value::Unknown => None,
        Value::Secret(inner) => prune(inner).map(|v| Value::Secret(Box::new(v))),
        Value::Object(map) => Some(Value::Object(prune_unknowns(map))),
        Value::Array(items) => {
            let pruned: Option<Vec<Value>> = items.iter().map(prune).collect();
            pruned.map(Value::Array)
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_object(fields: &[(&str, prost_types::Value)]) -> prost_types::Value {
        prost_types::Value {
            kind: Some(Kind::StructValue(prost_types::Struct {
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            })),
        }
    }

    fn wire_list(items: Vec<prost_types::Value>) -> prost_types::Value {
        prost_types::Value {
            kind: Some(Kind::ListValue(prost_types::ListValue { values: items })),
        }
    }

    fn secret(inner: prost_types::Value) -> prost_types::Value {
        wire_object(&[(sig::KEY, string_value(sig::SECRET)), ("value", inner)])
    }

    #[test]
    fn secrets_nest_anywhere_and_round_trip() {
        let wire = wire_object(&[(
            "registries",
            wire_list(vec![wire_object(&[
                ("address", string_value("r.example")),
                ("password", secret(string_value("hunter2"))),
            ])]),
        )]);
        let value = Value::from_wire(&wire, &PropertyPath::root()).unwrap();
        let Value::Object(top) = &value else {
            panic!("not an object")
        };
        let Value::Array(items) = &top["registries"] else {
            panic!("not an array")
        };
        let Value::Object(registry) = &items[0] else {
            panic!("not an object")
        };
        assert_eq!(
            registry["password"],
            Value::Secret(Box::new(Value::String("hunter2".into())))
        );
        assert!(value.contains_secrets());
        assert_eq!(value.to_wire(), wire);
        assert_eq!(value.to_json()["registries"][0]["password"], "hunter2");
    }

    #[test]
    fn every_unknown_sentinel_is_unknown() {
        for sentinel in sig::UNKNOWNS {
            let value = Value::from_wire(&string_value(sentinel), &PropertyPath::root()).unwrap();
            assert_eq!(value, Value::Unknown, "{sentinel}");
        }
        let inside_secret = secret(string_value(sig::UNKNOWNS[3]));
        let value = Value::from_wire(&inside_secret, &PropertyPath::root()).unwrap();
        assert!(value.contains_unknowns());
    }

    #[test]
    fn signature_value_decides_not_key_presence() {
        let asset = wire_object(&[
            (sig::KEY, string_value(sig::ASSET)),
            ("text", string_value("hi")),
        ]);
        let wire = wire_object(&[("context", asset)]);
        let err = Value::from_wire(&wire, &PropertyPath::root()).unwrap_err();
        assert_eq!(err.kind, "asset");
        assert_eq!(err.path.to_string(), "context");
        for (signature, kind) in [
            (sig::ARCHIVE, "archive"),
            (sig::RESOURCE_REFERENCE, "resource reference"),
            (sig::BYTE_STRING, "byte string"),
        ] {
            let special = wire_list(vec![
                string_value("ok"),
                wire_object(&[(sig::KEY, string_value(signature))]),
            ]);
            let err = Value::from_wire(&wire_object(&[("tags", special)]), &PropertyPath::root())
                .unwrap_err();
            assert_eq!((err.kind, err.path.to_string().as_str()), (kind, "tags[1]"));
        }
    }

    #[test]
    fn output_values_are_their_value_or_unknown_keeping_secretness() {
        let output = |fields: &[(&str, prost_types::Value)]| {
            let mut all = vec![(sig::KEY, string_value(sig::OUTPUT_VALUE))];
            all.extend(fields.iter().cloned());
            Value::from_wire(&wire_object(&all), &PropertyPath::root()).unwrap()
        };
        let known = output(&[
            ("value", string_value("r.example/app:1")),
            ("dependencies", wire_list(vec![string_value("urn:a")])),
        ]);
        assert_eq!(known, Value::String("r.example/app:1".into()));
        let secret_known = output(&[
            ("value", string_value("hunter2")),
            (
                "secret",
                prost_types::Value {
                    kind: Some(Kind::BoolValue(true)),
                },
            ),
        ]);
        assert_eq!(
            secret_known,
            Value::Secret(Box::new(Value::String("hunter2".into())))
        );
        assert_eq!(output(&[]), Value::Unknown);
        let secret_unknown = output(&[(
            "secret",
            prost_types::Value {
                kind: Some(Kind::BoolValue(true)),
            },
        )]);
        assert!(secret_unknown.contains_unknowns() && secret_unknown.contains_secrets());
    }

    #[test]
    fn integral_numbers_become_json_integers() {
        assert_eq!(Value::Number(3.0).to_json(), serde_json::json!(3));
        assert_eq!(Value::Number(2.5).to_json(), serde_json::json!(2.5));
    }
}
