use std::fs;

use serde_json::json;

use super::*;
use crate::wire::sig;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    fs::create_dir(dir.path().join("lib")).unwrap();
    dir
}

use crate::wire::map_from_json as map;

fn failures(dir: &Path, json: serde_json::Value) -> Vec<(String, String)> {
    check_image(&map(json), dir)
        .failures
        .into_iter()
        .map(|f| (f.property.to_string(), f.reason))
        .collect()
}

fn properties(dir: &Path, json: serde_json::Value) -> Vec<String> {
    failures(dir, json).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn defaults_context_and_dockerfile() {
    let dir = project();
    let checked = check_image(&map(json!({"push": false})), dir.path());
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    assert_eq!(
        checked.inputs["context"],
        Value::from_json(&json!({"location": "."}))
    );
    assert_eq!(
        checked.inputs["dockerfile"],
        Value::from_json(&json!({"location": "Dockerfile"}))
    );
    assert_eq!(checked.inputs["buildOnPreview"], Value::Bool(true));
    assert_eq!(checked.inputs["network"], Value::String("default".into()));

    let checked = check_image(&map(json!({"push": false, "context": {}})), dir.path());
    assert!(
        checked.failures.is_empty(),
        "an empty context means `.`: {:?}",
        checked.failures
    );
    let checked = check_image(
        &map(json!({"push": false, "context": {"location": "lib/"}})),
        dir.path(),
    );
    assert_eq!(
        checked.inputs["dockerfile"],
        Value::from_json(&json!({"location": "lib/Dockerfile"}))
    );
    assert_eq!(
        properties(
            dir.path(),
            json!({"push": false, "context": {"location": "lib"}})
        ),
        ["dockerfile.location"]
    );
}

#[test]
fn nested_schema_defaults_are_filled_in() {
    let dir = project();
    let checked = check_image(
        &map(json!({"push": false, "cacheTo": [{"registry": {"ref": "r.example/a:cache"}}]})),
        dir.path(),
    );
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let registry = &checked.inputs["cacheTo"];
    let expected = json!([{"registry": {"ref": "r.example/a:cache", "mode": "min", "ociMediaTypes": true,
        "imageManifest": false, "ignoreError": false, "compression": "gzip", "compressionLevel": 0, "forceCompression": false}}]);
    assert_eq!(registry, &Value::from_json(&expected));
}

#[test]
fn every_failure_is_reported_at_once_with_its_path() {
    let dir = project();
    let found = properties(
        dir.path(),
        json!({
            "push": true,
            "context": {"location": "missing-dir"},
            "dockerfile": {"location": "Dockerfile", "inline": "FROM scratch"},
            "tags": ["ok.example/app:1", "fine:2", "Bad:Tag"],
            "cacheTo": [{"inline": {}}, {"inline": {}, "local": {"dest": "x"}}],
            "cacheFrom": [{"gha": {}, "local": {"src": "x"}}],
            "platforms": ["linux/amd64", "linux/*"],
            "ssh": [{"id": "a=b"}],
            "exports": [{"tar": {"dest": "out.tar"}, "local": {"dest": "out"}}],
            "addHosts": ["nocolon"],
        }),
    );
    let expected = [
        "addHosts[0]",
        "cacheFrom[0]",
        "cacheTo[1]",
        "context.location",
        "dockerfile",
        "exports[0]",
        "platforms[1]",
        "ssh[0].id",
        "tags[2]",
    ];
    let mut sorted = found.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "{found:?}");
}

#[test]
fn registry_cache_refs_are_image_references_checked_with_their_path() {
    let dir = project();
    let found = failures(
        dir.path(),
        json!({
            "push": false,
            "cacheFrom": [{"registry": {"ref": "ok.example/app:cache"}}, {"registry": {"ref": "Bad/Ref:cache"}}],
            "cacheTo": [{"registry": {"ref": "ok.example/app:cache"}}, {"registry": {"ref": " "}}],
        }),
    );
    let mut found: Vec<_> = found
        .iter()
        .map(|(p, r)| (p.as_str(), r.as_str()))
        .collect();
    found.sort();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "cacheFrom[1].registry.ref");
    assert!(
        found[0].1.starts_with("is not an image reference"),
        "{}",
        found[0].1
    );
    assert_eq!(found[1], ("cacheTo[1].registry.ref", "must not be empty"));
}

#[test]
fn push_without_tags_fails_on_tags() {
    let dir = project();
    let found = failures(dir.path(), json!({"push": true}));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "tags");
    assert!(found[0].1.contains("no tags"), "{}", found[0].1);
}

#[test]
fn unreadable_dockerfile_fails_on_its_location() {
    let dir = project();
    let found = failures(
        dir.path(),
        json!({"push": false, "dockerfile": {"location": "nope/Dockerfile"}}),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "dockerfile.location");
    assert!(
        found[0].1.contains("cannot read the Dockerfile"),
        "{}",
        found[0].1
    );
}

#[test]
fn wrong_json_types_name_the_property() {
    let dir = project();
    let found = failures(
        dir.path(),
        json!({"push": "yes", "tags": "app:1", "buildArgs": {"A": 1}, "cacheTo": [{"registry": {"ref": "a", "compressionLevel": 1.5}}], "noCahce": true}),
    );
    let by_path: std::collections::BTreeMap<_, _> = found.into_iter().collect();
    assert_eq!(by_path["push"], "expected a boolean, found a string");
    assert_eq!(by_path["tags"], "expected a list, found a string");
    assert_eq!(by_path["buildArgs.A"], "expected a string, found a number");
    assert_eq!(
        by_path["cacheTo[0].registry.compressionLevel"],
        "expected a whole number"
    );
    assert!(
        by_path["noCahce"].contains("did you mean `noCache`"),
        "{}",
        by_path["noCahce"]
    );
}

#[test]
fn missing_push_is_required() {
    let dir = project();
    assert_eq!(properties(dir.path(), json!({})), ["push"]);
}

#[test]
fn unknowns_never_fail_check() {
    let dir = project();
    let u = sig::UNKNOWN;
    let news = json!({
        "push": true,
        "tags": [u],
        "context": {"location": u},
        "cacheTo": [{"registry": {"ref": u}}],
        "exports": [{"registry": u}],
        "secrets": {"TOKEN": u},
    });
    let mut news = map(news);
    // Sentinels become Unknown values only when decoded from the wire.
    fn mark(value: &mut Value) {
        match value {
            Value::String(s) if s == sig::UNKNOWN => *value = Value::Unknown,
            Value::Array(items) => items.iter_mut().for_each(mark),
            Value::Object(map) => map.values_mut().for_each(mark),
            _ => {}
        }
    }
    news.values_mut().for_each(mark);
    let checked = check_image(&news, dir.path());
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    assert_eq!(checked.inputs["tags"], Value::Array(vec![Value::Unknown]));
    assert!(
        !checked.inputs.contains_key("dockerfile"),
        "no Dockerfile default under an unknown context"
    );
}

#[test]
fn secrets_pass_through_check_untouched() {
    let dir = project();
    let mut news = map(json!({"push": false}));
    let secret = Value::Secret(Box::new(Value::from_json(&json!({"TOKEN": "s3cr3t"}))));
    news.insert("secrets".into(), secret.clone());
    let checked = check_image(&news, dir.path());
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    assert_eq!(checked.inputs["secrets"], secret);
}

#[test]
fn disabled_entries_are_not_validated() {
    let dir = project();
    assert!(
        properties(
            dir.path(),
            json!({"push": false, "cacheTo": [{"disabled": true}], "exports": [{"disabled": true}]})
        )
        .is_empty()
    );
}

#[test]
fn explicit_empty_strings_are_unset() {
    let dir = project();
    let checked = check_image(
        &map(json!({
            "push": false,
            "target": "",
            "network": "",
            "dockerfile": {"inline": "FROM scratch", "location": ""},
            "exports": [{"raw": "", "local": {"dest": "out"}}],
            "cacheFrom": [{"raw": "", "local": {"src": "cache", "digest": ""}}],
        })),
        dir.path(),
    );
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let inputs = Value::Object(checked.inputs).to_json();
    assert_eq!(inputs["dockerfile"], json!({"inline": "FROM scratch"}));
    assert_eq!(inputs.get("target"), None);
    assert_eq!(
        inputs["network"], "default",
        "the schema default, as if unset"
    );
    assert_eq!(inputs["exports"], json!([{"local": {"dest": "out"}}]));
}

#[test]
fn dockerfile_paths_are_cleaned_as_go_cleans_them() {
    let dir = project();
    fs::create_dir(dir.path().join("app")).unwrap();
    fs::write(dir.path().join("app/Dockerfile"), "FROM scratch\n").unwrap();
    let location = |news| {
        let checked = check_image(&map(news), dir.path());
        assert!(checked.failures.is_empty(), "{:?}", checked.failures);
        Value::Object(checked.inputs).to_json()["dockerfile"]["location"].clone()
    };
    assert_eq!(
        location(json!({"push": false, "context": {"location": "./app"}})),
        "app/Dockerfile"
    );
    assert_eq!(
        location(json!({"push": false, "dockerfile": {"location": "./lib/../app//Dockerfile"}})),
        "app/Dockerfile"
    );
}

#[test]
fn dockerfile_syntax_errors_fail_on_dockerfile_with_their_line() {
    let dir = project();
    fs::write(
        dir.path().join("Bad.Dockerfile"),
        "FROM scratch\nRUNN true\n",
    )
    .unwrap();
    let table = [
        json!({"push": false, "dockerfile": {"location": "Bad.Dockerfile"}}),
        json!({"push": false, "dockerfile": {"inline": "FROM scratch\nRUNN true\n"}}),
        json!({"push": false, "dockerfile": {"inline": "# syntax=docker/dockerfile:1\nFROM scratch\nRUNN true\n"}}),
    ];
    for news in table {
        let found = failures(dir.path(), news.clone());
        assert_eq!(found.len(), 1, "{news}: {found:?}");
        assert_eq!(found[0].0, "dockerfile", "{news}");
        assert!(
            found[0].1.contains("unknown instruction: RUNN"),
            "{found:?}"
        );
        assert!(found[0].1.contains("line"), "{found:?}");
    }
    let other_frontend =
        json!({"push": false, "dockerfile": {"inline": "# syntax=example.com/x:1\nRUNN"}});
    assert_eq!(failures(dir.path(), other_frontend), []);
}

#[test]
fn malformed_raw_entries_fail_on_their_entry() {
    let dir = project();
    let found = failures(
        dir.path(),
        json!({
            "push": false,
            "exports": [{"raw": "type="}, {"raw": "badexport,-"}, {"raw": "type=local,dest=out"}],
            "cacheFrom": [{"raw": "r.example/app:cache"}, {"raw": "=x"}],
            "cacheTo": [{"raw": "type=inline,mode"}],
        }),
    );
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["exports[0]", "exports[1]", "cacheFrom[1]", "cacheTo[0]"],
        "{found:?}"
    );
    assert!(found[0].1.contains("type is required"), "{found:?}");
    assert!(found[1].1.contains("invalid value badexport"), "{found:?}");
}

#[test]
fn every_cache_entry_keeps_its_own_credentials() {
    let dir = project();
    let s3 =
        |secret: &str| json!({"s3": {"bucket": "b", "region": "r", "secretAccessKey": secret}});
    let azure =
        json!({"azblob": {"name": "n", "accountUrl": "https://a.blob", "secretAccessKey": "k"}});
    assert_eq!(
        failures(
            dir.path(),
            json!({"push": false, "cacheFrom": [s3("one"), azure], "cacheTo": [s3("two"), azure],
                   "network": "default"}),
        ),
        []
    );
    // With a network mode and extra hosts too: the build engine carries
    // both next to the keys.
    assert_eq!(
        failures(
            dir.path(),
            json!({"push": false, "cacheTo": [azure], "network": "host", "addHosts": ["db:10.0.0.1"]}),
        ),
        []
    );
    // Without a secret they combine as before.
    let plain = json!({"azblob": {"name": "n", "accountUrl": "https://a.blob"}});
    assert_eq!(
        failures(
            dir.path(),
            json!({"push": false, "cacheFrom": [plain], "network": "host", "addHosts": ["db:10.0.0.1"]})
        ),
        []
    );
}

#[test]
fn export_names_are_image_references_checked_with_their_path() {
    let dir = project();
    let found = failures(
        dir.path(),
        json!({
            "push": false,
            "exports": [
                {"registry": {"names": ["ok.example/app:1", "Not A Name"]}},
                {"raw": "type=image,\"name=ok.example/app:2,Bad/Name\",push=true"},
                {"docker": {"names": ["-nope"]}},
                {"raw": "type=registry,name=ok.example/app:3"},
            ],
        }),
    );
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "exports[0].registry.names[1]",
            "exports[1].raw",
            "exports[2].docker.names[0]"
        ],
        "{found:?}"
    );
    assert!(
        found[1]
            .1
            .contains("name `Bad/Name` is not an image reference"),
        "{found:?}"
    );
}

#[test]
fn a_raw_export_that_names_its_image_pushes_without_tags() {
    let dir = project();
    let named = json!({"push": false, "exports": [{"raw": "type=registry,name=r.example/app:1"}]});
    assert_eq!(failures(dir.path(), named), []);
    let unnamed = json!({"push": false, "exports": [{"raw": "type=registry"}]});
    assert_eq!(properties(dir.path(), unnamed), ["exports[0]"]);
}

#[test]
fn add_hosts_are_read_as_buildx_reads_them() {
    let dir = project();
    let hosts = json!([
        "db:10.0.0.1",
        "db=10.0.0.1",
        "multi=10.0.0.1,10.0.0.2",
        "v6=[::1]",
        "v6b:::1",
        "gw:host-gateway",
        "nocolon",
        "=10.0.0.1",
        "db:not-an-address",
        "db:10.0.0.1,",
    ]);
    let found = properties(dir.path(), json!({"push": false, "addHosts": hosts}));
    assert_eq!(
        found,
        ["addHosts[6]", "addHosts[7]", "addHosts[8]", "addHosts[9]"]
    );
}

#[test]
fn secret_inputs_given_as_plain_text_are_returned_secret_at_every_depth() {
    let dir = project();
    let checked = check_image(
        &map(json!({
            "push": false,
            "secrets": {"TOKEN": "t"},
            "registries": [{"address": "r.example", "username": "u", "password": "p"}],
            "cacheTo": [{"s3": {"bucket": "b", "region": "r", "secretAccessKey": "k"}}],
        })),
        dir.path(),
    );
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    // The value at `path` (names and list indexes), secrets left wrapped.
    fn at<'v>(value: &'v Value, path: &[&str]) -> &'v Value {
        let Some((first, rest)) = path.split_first() else {
            return value;
        };
        let inner = match value {
            Value::Object(map) => &map[*first],
            Value::Array(items) => &items[first.parse::<usize>().unwrap()],
            other => panic!("nothing at {first} in {other:?}"),
        };
        at(inner, rest)
    }
    let inputs = Value::Object(checked.inputs);
    for secret in [
        &["secrets"][..],
        &["registries", "0", "password"],
        &["cacheTo", "0", "s3", "secretAccessKey"],
    ] {
        assert!(
            matches!(at(&inputs, secret), Value::Secret(_)),
            "{secret:?}"
        );
    }
    let username = at(&inputs, &["registries", "0", "username"]);
    assert_eq!(username, &Value::String("u".into()));
}

/// Inputs holding `canary` at `path`, and nothing else.
fn inputs_with(path: &[crate::schema::Step], canary: &str) -> serde_json::Value {
    use crate::schema::Step;
    let Some((first, rest)) = path.split_first() else {
        return json!(canary);
    };
    let inner = inputs_with(rest, canary);
    match first {
        Step::Property(name) => json!({ name.as_str(): inner }),
        Step::Element => json!([inner]),
        Step::Value => json!({ "ID": inner }),
    }
}

/// Each string in `value` that is not inside a secret.
fn plain_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| plain_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| plain_strings(v, out)),
        _ => {}
    }
}

#[test]
fn every_secret_input_of_the_schema_given_as_plain_text_is_returned_secret() {
    use crate::schema::{Subject, schema};
    let dir = project();
    let paths = schema().secret_paths(Subject::ImageInputs);
    assert!(paths.len() >= 8, "{paths:?}");
    for path in paths {
        let canary = format!("canary-{path:?}");
        let mut news = map(inputs_with(&path, &canary));
        news.insert("push".into(), Value::Bool(false));
        let checked = check_image(&news, dir.path());
        let mut plain = Vec::new();
        plain_strings(&Value::Object(checked.inputs), &mut plain);
        assert!(
            !plain.contains(&canary),
            "{path:?} is returned in plain text"
        );
    }
}
