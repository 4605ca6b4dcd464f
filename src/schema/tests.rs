use serde_json::json;

use super::*;

use crate::wire::map_from_json as map;

#[test]
fn embedded_schema_has_the_image_and_its_extensions() {
    let names = schema().property_names(Subject::ImageInputs);
    for name in [
        "push",
        "tags",
        "cacheFrom",
        "cacheTo",
        "context",
        "dockerfile",
        "autoCache",
        "secrets",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing");
    }
    let config = schema().property_names(Subject::ProviderConfig);
    assert_eq!(
        config,
        ["autoCache", "host", "maxParallelBuilds", "registries"]
    );
}

#[test]
fn secret_flags_follow_the_schema() {
    assert!(schema().is_secret(Subject::ImageInputs, &["secrets"]));
    assert!(schema().is_secret(Subject::ImageInputs, &["registries", "password"]));
    assert!(schema().is_secret(Subject::ImageInputs, &["cacheTo", "s3", "secretAccessKey"]));
    assert!(!schema().is_secret(Subject::ImageInputs, &["tags"]));
    assert!(!schema().is_secret(Subject::ImageInputs, &["registries", "username"]));
}

#[test]
fn secrets_and_unknowns_are_type_checked_by_content() {
    let mut inputs = map(json!({"push": true}));
    inputs.insert(
        "tags".into(),
        Value::Array(vec![Value::Unknown, Value::Number(1.0).into_secret()]),
    );
    let failures = schema().check_object(Subject::ImageInputs, &inputs);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].property.to_string(), "tags[1]");
}

#[test]
fn environment_defaults_are_not_copied_into_state() {
    let mut inputs =
        map(json!({"push": true, "cacheFrom": [{"s3": {"bucket": "b", "region": "r"}}]}));
    schema().apply_defaults(Subject::ImageInputs, &mut inputs);
    let s3 = &inputs["cacheFrom"];
    assert_eq!(
        s3,
        &Value::from_json(&json!([{"s3": {"bucket": "b", "region": "r"}}]))
    );
}

#[test]
fn required_nested_properties_are_reported() {
    let failures = schema().check_object(
        Subject::ImageInputs,
        &map(json!({"push": true, "ssh": [{"paths": ["/a"]}], "context": {}})),
    );
    let paths: Vec<String> = failures.iter().map(|f| f.property.to_string()).collect();
    assert_eq!(paths, ["context.location", "ssh[0].id"]);
}

#[test]
fn closest_name_suggestion() {
    assert_eq!(closest("tag", &["tags", "target"]), Some("tags"));
    assert_eq!(closest("zzzzzz", &["tags"]), None);
}
