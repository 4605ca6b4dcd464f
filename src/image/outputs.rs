//! Assembling the state the engine stores for an Image: the checked inputs
//! plus the build's outputs, with every secret marked.
//!
//! Secrets are marked as `schema.json` marks them (`secrets`, registry
//! passwords, cache backend keys), whatever the program did, and an output
//! derived from a secret input is secret too (`ref` from a secret tag).

use super::CacheReport;
use crate::schema::{Subject, schema};
use crate::wire::{PropertyMap, Value};

/// What a build produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOutputs {
    /// `containerimage.digest`, or empty.
    pub digest: String,
    /// `<tag>@<digest>`, or the first tag, or empty.
    pub reference: String,
    /// The context hash the build used.
    pub context_hash: String,
    /// The cache report, when a registry cache was involved.
    pub cache_report: Option<CacheReport>,
}

/// Marks every value of `inputs` that `schema.json` marks secret.
pub fn mark_secrets(mut inputs: PropertyMap) -> PropertyMap {
    schema().mark_secrets(Subject::ImageInputs, &mut inputs);
    inputs
}

/// The state to store: inputs (secrets marked) plus outputs.
pub fn state_map(inputs: &PropertyMap, outputs: &BuildOutputs) -> PropertyMap {
    let mut state = mark_secrets(inputs.clone());
    let tags_secret = inputs.get("tags").is_some_and(Value::contains_secrets);
    let reference = Value::String(outputs.reference.clone());
    state.insert(
        "ref".into(),
        if tags_secret {
            reference.into_secret()
        } else {
            reference
        },
    );
    state.insert("digest".into(), Value::String(outputs.digest.clone()));
    state.insert(
        "contextHash".into(),
        Value::String(outputs.context_hash.clone()),
    );
    match &outputs.cache_report {
        Some(report) => {
            let json = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
            state.insert("cacheReport".into(), Value::from_json(&json));
        }
        None => {
            state.remove("cacheReport");
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    use crate::wire::map_from_json as map;

    #[test]
    fn schema_secrets_are_marked_even_when_given_plain() {
        let inputs = map(json!({
            "push": true,
            "secrets": {"TOKEN": "t"},
            "registries": [{"address": "r", "password": "p"}],
            "cacheTo": [{"s3": {"bucket": "b", "region": "r", "secretAccessKey": "k"}}],
        }));
        let state = state_map(&inputs, &BuildOutputs::default());
        assert!(matches!(state["secrets"], Value::Secret(_)));
        let Value::Array(registries) = &state["registries"] else {
            panic!()
        };
        let Value::Object(registry) = &registries[0] else {
            panic!()
        };
        assert_eq!(
            registry["password"],
            Value::String("p".into()).into_secret()
        );
        assert_eq!(registry["address"], Value::String("r".into()));
        assert!(state["cacheTo"].contains_secrets());
    }

    #[test]
    fn ref_from_a_secret_tag_is_secret() {
        let mut inputs = map(json!({"push": true}));
        inputs.insert(
            "tags".into(),
            Value::Array(vec![Value::String("r/a:1".into()).into_secret()]),
        );
        let outputs = BuildOutputs {
            reference: "r/a:1@sha256:00".into(),
            ..Default::default()
        };
        let state = state_map(&inputs, &outputs);
        assert!(matches!(state["ref"], Value::Secret(_)));
        let plain = state_map(&map(json!({"push": true, "tags": ["r/a:1"]})), &outputs);
        assert_eq!(plain["ref"], Value::String("r/a:1@sha256:00".into()));
        assert_eq!(
            crate::image::decode_state(&plain).unwrap().reference,
            "r/a:1@sha256:00"
        );
    }
}
