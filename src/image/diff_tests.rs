use serde_json::json;

use super::*;
use crate::wire::Value;

fn args(json: serde_json::Value) -> ImageArgs {
    serde_json::from_value(json).unwrap()
}

fn state(json: serde_json::Value) -> ImageState {
    let mut state: ImageState = serde_json::from_value(json).unwrap();
    state.context_hash = "h1".into();
    state
}

fn changes(old: serde_json::Value, new: serde_json::Value, hash: &str) -> Vec<(String, Change)> {
    let diff = diff_image(
        &state(old),
        &Inputs::Known(args(new)),
        &NewHash::Known(hash.into()),
    );
    diff.changes
        .into_iter()
        .map(|(p, c)| (p.to_string(), c))
        .collect()
}

fn base() -> serde_json::Value {
    json!({"push": true, "tags": ["r.example/app:1"], "context": {"location": "."}, "dockerfile": {"location": "Dockerfile"}})
}

fn with(extra: serde_json::Value) -> serde_json::Value {
    let mut value = base();
    for (k, v) in extra.as_object().unwrap() {
        value[k] = v.clone();
    }
    value
}

#[test]
fn nothing_changed_means_no_diff() {
    assert_eq!(changes(base(), base(), "h1"), []);
}

#[test]
fn each_input_change_is_an_update_at_its_path() {
    type Case = (
        serde_json::Value,
        serde_json::Value,
        Vec<(&'static str, Change)>,
    );
    let table: Vec<Case> = vec![
        (
            json!({}),
            json!({"addHosts": ["db:10.0.0.1"]}),
            vec![("addHosts", Change::Add)],
        ),
        (
            json!({"buildArgs": {"A": "1"}}),
            json!({"buildArgs": {"A": "2", "B": "x"}}),
            vec![
                ("buildArgs.A", Change::Update),
                ("buildArgs.B", Change::Add),
            ],
        ),
        (
            json!({}),
            json!({"buildOnPreview": false}),
            vec![("buildOnPreview", Change::Update)],
        ),
        (
            json!({}),
            json!({"builder": {"name": "remote"}}),
            vec![("builder", Change::Add)],
        ),
        (
            json!({}),
            json!({"cacheFrom": [{"registry": {"ref": "r/a:c"}}]}),
            vec![("cacheFrom", Change::Add)],
        ),
        (
            json!({"cacheTo": [{"inline": {}}]}),
            json!({"cacheTo": [{"inline": {}}, {"local": {"dest": "d"}}]}),
            vec![("cacheTo[1]", Change::Add)],
        ),
        (
            json!({}),
            json!({"context": {"location": "app"}}),
            vec![("context.location", Change::Update)],
        ),
        (
            json!({}),
            json!({"context": {"location": ".", "named": {"lib": {"location": "lib"}}}}),
            vec![("context.named", Change::Add)],
        ),
        (
            json!({}),
            json!({"dockerfile": {"location": "other/Dockerfile"}}),
            vec![("dockerfile.location", Change::Update)],
        ),
        (
            json!({}),
            json!({"dockerfile": {"inline": "FROM scratch"}}),
            vec![
                ("dockerfile.inline", Change::Add),
                ("dockerfile.location", Change::Delete),
            ],
        ),
        (
            json!({"exports": [{"tar": {"dest": "a"}}]}),
            json!({"exports": [{"tar": {"dest": "b"}}]}),
            vec![("exports[0].tar.dest", Change::Update)],
        ),
        (
            json!({}),
            json!({"labels": {"team": "x"}}),
            vec![("labels", Change::Add)],
        ),
        (
            json!({}),
            json!({"load": true}),
            vec![("load", Change::Update)],
        ),
        (
            json!({}),
            json!({"network": "host"}),
            vec![("network", Change::Update)],
        ),
        (
            json!({}),
            json!({"noCache": true}),
            vec![("noCache", Change::Update)],
        ),
        (
            json!({"platforms": ["linux/amd64"]}),
            json!({"platforms": ["linux/arm64"]}),
            vec![("platforms[0]", Change::Update)],
        ),
        (
            json!({}),
            json!({"push": false}),
            vec![("push", Change::Update)],
        ),
        (
            json!({"registries": [{"address": "a"}]}),
            json!({"registries": [{"address": "b"}]}),
            vec![("registries[0].address", Change::Update)],
        ),
        (
            json!({"secrets": {"A": "1"}}),
            json!({"secrets": {"A": "2"}}),
            vec![("secrets.A", Change::Update)],
        ),
        (
            json!({}),
            json!({"ssh": [{"id": "default"}]}),
            vec![("ssh", Change::Add)],
        ),
        (
            json!({}),
            json!({"tags": ["r.example/app:1", "r.example/app:2"]}),
            vec![("tags[1]", Change::Add)],
        ),
        (
            json!({}),
            json!({"target": "release"}),
            vec![("target", Change::Add)],
        ),
        (
            json!({}),
            json!({"autoCache": false}),
            vec![("autoCache", Change::Add)],
        ),
    ];
    for (old, new, expected) in table {
        let expected: Vec<(String, Change)> = expected
            .into_iter()
            .map(|(p, c)| (p.to_owned(), c))
            .collect();
        assert_eq!(
            changes(with(old.clone()), with(new.clone()), "h1"),
            expected,
            "{old} -> {new}"
        );
    }
}

#[test]
fn defaults_equal_their_absence() {
    let old = with(json!({}));
    let new = with(
        json!({"load": false, "noCache": false, "pull": false, "buildOnPreview": true, "network": "default"}),
    );
    assert_eq!(changes(old, new, "h1"), []);
}

#[test]
fn registry_password_changes_are_ignored() {
    let old = with(
        json!({"registries": [{"address": "r.example", "username": "AWS", "password": "token-1"}]}),
    );
    let new = with(
        json!({"registries": [{"address": "r.example", "username": "AWS", "password": "token-2"}]}),
    );
    assert_eq!(changes(old, new, "h1"), []);
    let old = with(json!({"registries": [{"address": "r.example", "username": "AWS"}]}));
    let new = with(json!({"registries": [{"address": "r.example", "username": "other"}]}));
    assert_eq!(
        changes(old, new, "h1"),
        [("registries[0].username".to_owned(), Change::Update)]
    );
}

#[test]
fn ignored_secrets_dont_count_when_present_on_both_sides() {
    let old = with(
        json!({"secrets": {"TOKEN": "a", "KEY": "k"}, "ignoreSecretsInDiffCalculation": ["TOKEN"]}),
    );
    let new = with(
        json!({"secrets": {"TOKEN": "b", "KEY": "k"}, "ignoreSecretsInDiffCalculation": ["TOKEN"]}),
    );
    assert_eq!(changes(old.clone(), new, "h1"), []);
    // A newly added ignored secret still counts: the build gains a secret.
    let new = with(
        json!({"secrets": {"KEY": "k", "TOKEN": "a", "NEW": "n"}, "ignoreSecretsInDiffCalculation": ["TOKEN", "NEW"]}),
    );
    assert_eq!(
        changes(old, new, "h1"),
        [("secrets.NEW".to_owned(), Change::Add)]
    );
}

#[test]
fn changing_only_the_ignore_list_or_exec_is_no_diff() {
    let new = with(json!({"ignoreSecretsInDiffCalculation": ["X"], "exec": true}));
    assert_eq!(changes(base(), new, "h1"), []);
}

#[test]
fn pull_with_exports_always_rebuilds() {
    let old = with(json!({"pull": true}));
    assert_eq!(
        changes(old.clone(), old.clone(), "h1"),
        [("contextHash".to_owned(), Change::Update)]
    );
    let no_exports = with(json!({"pull": true, "push": false}));
    assert_eq!(changes(no_exports.clone(), no_exports, "h1"), []);
}

#[test]
fn context_hash_change_is_an_update() {
    assert_eq!(
        changes(base(), base(), "h2"),
        [("contextHash".to_owned(), Change::Update)]
    );
}

#[test]
fn unknown_inputs_are_updates_at_their_paths() {
    let mut partial = args(base());
    partial.tags.clear();
    let new = Inputs::Partial {
        args: partial,
        unknown: vec![PropertyPath::key("tags").index(0)],
    };
    let diff = diff_image(&state(base()), &new, &NewHash::Unknown);
    let found: Vec<String> = diff.changes.keys().map(ToString::to_string).collect();
    assert_eq!(found, ["contextHash", "tags[0]"]);
    assert!(diff.changes.values().all(|c| *c == Change::Update));
    let _ = Value::Unknown;
}

#[test]
fn never_a_replace() {
    // The diff has no notion of replacement: the type has no such variant.
    let diff = diff_image(
        &state(base()),
        &Inputs::Known(args(with(json!({"tags": ["other/x:1"]})))),
        &NewHash::Known("h9".into()),
    );
    assert!(
        diff.changes
            .values()
            .all(|c| matches!(c, Change::Add | Change::Delete | Change::Update))
    );
    assert_eq!(
        diff.top_level().into_iter().collect::<Vec<_>>(),
        ["contextHash", "tags"]
    );
}
