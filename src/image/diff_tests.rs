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

/// Every rule of the official provider's `TestImageDiff` table, with our
/// answers. Its base is an image with no tags that is not pushed.
#[test]
fn the_official_diff_table() {
    let base = json!({"push": false, "context": {"location": "/ctx"}, "dockerfile": {"location": "testdata/noop"}});
    let with = |extra: serde_json::Value| {
        let mut value = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            value[k] = v.clone();
        }
        value
    };
    let reg = |address: &str, password: &str| json!({"registries": [{"address": address, "username": "foo", "password": password}]});
    // (name, old extra, new extra, new context hash, changed top-level properties)
    let table: Vec<(&str, serde_json::Value, serde_json::Value, &str, Vec<&str>)> = vec![
        (
            "no diff if build context is unchanged",
            json!({}),
            json!({}),
            "h1",
            vec![],
        ),
        (
            "no diff if registry password changes",
            reg("foo", "foo"),
            reg("foo", "DIFFERENT"),
            "h1",
            vec![],
        ),
        (
            "no diff if pull=true but no exports",
            json!({"pull": true}),
            json!({"pull": true}),
            "h1",
            vec![],
        ),
        (
            "diff if pull=true with exports",
            json!({"pull": true, "load": true}),
            json!({"pull": true, "load": true}),
            "h1",
            vec!["contextHash"],
        ),
        (
            "diff if build context changes",
            json!({}),
            json!({}),
            "h2",
            vec!["contextHash"],
        ),
        (
            "diff if registry added",
            json!({}),
            json!({"registries": [{}]}),
            "h1",
            vec!["registries"],
        ),
        (
            "diff if registry address changes",
            reg("foo", "foo"),
            reg("other", "foo"),
            "h1",
            vec!["registries"],
        ),
        (
            "diff if buildArgs changes",
            json!({}),
            json!({"buildArgs": {"foo": "bar"}}),
            "h1",
            vec!["buildArgs"],
        ),
        (
            "diff if pull changes",
            json!({}),
            json!({"pull": true}),
            "h1",
            vec!["pull"],
        ),
        (
            "diff if load changes",
            json!({}),
            json!({"load": true}),
            "h1",
            vec!["load"],
        ),
        (
            "diff if push changes",
            json!({}),
            json!({"push": true}),
            "h1",
            vec!["push"],
        ),
        // We differ on purpose: an unset buildOnPreview *is* true (the
        // schema default), so setting it to true changes nothing.
        (
            "no diff if buildOnPreview is set to its default",
            json!({}),
            json!({"buildOnPreview": true}),
            "h1",
            vec![],
        ),
        (
            "diff if buildOnPreview changes",
            json!({}),
            json!({"buildOnPreview": false}),
            "h1",
            vec!["buildOnPreview"],
        ),
        (
            "diff if ssh changes",
            json!({}),
            json!({"ssh": [{"id": "default"}]}),
            "h1",
            vec!["ssh"],
        ),
        (
            "diff if hosts change",
            json!({}),
            json!({"addHosts": ["localhost"]}),
            "h1",
            vec!["addHosts"],
        ),
        (
            "diff if cacheFrom changes",
            json!({}),
            json!({"cacheFrom": [{"raw": "a"}]}),
            "h1",
            vec!["cacheFrom"],
        ),
        (
            "diff if cacheTo changes",
            json!({}),
            json!({"cacheTo": [{"raw": "a"}]}),
            "h1",
            vec!["cacheTo"],
        ),
        (
            "diff if context changes",
            json!({}),
            json!({"context": {"location": "testdata/ignores"}}),
            "h1",
            vec!["context"],
        ),
        (
            "diff if named context changes",
            json!({}),
            json!({"context": {"location": "/ctx", "named": {"foo": {"location": "bar"}}}}),
            "h1",
            vec!["context"],
        ),
        (
            "diff if network changes",
            json!({}),
            json!({"network": "host"}),
            "h1",
            vec!["network"],
        ),
        (
            "diff if dockerfile location changes",
            json!({}),
            json!({"dockerfile": {"location": "testdata/ignores/basedir/Dockerfile"}}),
            "h1",
            vec!["dockerfile"],
        ),
        (
            "diff if dockerfile inline changes",
            json!({}),
            json!({"dockerfile": {"inline": "FROM scratch"}}),
            "h1",
            vec!["dockerfile"],
        ),
        (
            "diff if platforms change",
            json!({}),
            json!({"platforms": ["linux/amd64"]}),
            "h1",
            vec!["platforms"],
        ),
        (
            "diff if builder changes",
            json!({}),
            json!({"builder": {"name": "foo"}}),
            "h1",
            vec!["builder"],
        ),
        (
            "diff if tags change",
            json!({}),
            json!({"tags": ["foo"]}),
            "h1",
            vec!["tags"],
        ),
        (
            "diff if exports change",
            json!({}),
            json!({"exports": [{"raw": "foo"}]}),
            "h1",
            vec!["exports"],
        ),
        (
            "diff if target changes",
            json!({}),
            json!({"target": "foo"}),
            "h1",
            vec!["target"],
        ),
        (
            "diff if noCache changes",
            json!({}),
            json!({"noCache": true}),
            "h1",
            vec!["noCache"],
        ),
        (
            "diff if labels change",
            json!({}),
            json!({"labels": {"foo": "bar"}}),
            "h1",
            vec!["labels"],
        ),
        (
            "diff if secrets change",
            json!({}),
            json!({"secrets": {"foo": "bar"}}),
            "h1",
            vec!["secrets"],
        ),
        (
            "no diff if only ignoreSecretsInDiffCalculation changes",
            json!({}),
            json!({"ignoreSecretsInDiffCalculation": ["foo"]}),
            "h1",
            vec![],
        ),
        (
            "no diff for an uncleaned equal path",
            json!({"dockerfile": {"location": "./testdata/../testdata/noop"}}),
            json!({}),
            "h1",
            vec![],
        ),
    ];
    for (name, old, new, hash, expected) in table {
        let diff = diff_image(
            &state(with(old)),
            &Inputs::Known(args(with(new))),
            &NewHash::Known(hash.into()),
        );
        let found: Vec<String> = diff.top_level().into_iter().collect();
        assert_eq!(found, expected, "{name}");
        assert!(
            diff.replaces.is_empty(),
            "{name}: an Image is never replaced"
        );
    }
}

/// The official table's last rules: a `local` or `tar` export whose
/// destination is gone is an update on `exports` (the build recreates it).
#[test]
fn missing_export_destinations_are_updates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("present")).unwrap();
    std::fs::write(dir.path().join("present/file"), "x").unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("image.tar"), "x").unwrap();
    let exports = args(json!({"push": false, "exports": [
        {"local": {"dest": "not-real"}},
        {"tar": {"dest": "not-real.tar"}},
        {"local": {"dest": "present"}},
        {"local": {"dest": "empty"}},
        {"tar": {"dest": "image.tar"}},
        {"local": {"dest": "not-real"}, "disabled": true},
    ]}));
    let missing = crate::image::missing_export_destinations(&exports, dir.path());
    assert_eq!(missing, [0, 1, 3]);
    let mut diff = ResourceDiff::default();
    note_missing_exports(&mut diff, &missing);
    assert_eq!(
        diff.top_level().into_iter().collect::<Vec<_>>(),
        ["exports"]
    );
    assert_eq!(
        diff.changes[&PropertyPath::key("exports").index(1)],
        Change::Update
    );
}

/// State as the official provider writes it: a Go zero value for every
/// input never given, at every depth.
#[test]
fn official_zero_values_equal_their_absence() {
    let official = json!({
        "push": true, "tags": ["r.example/app:1"], "context": {"location": "./app"},
        "dockerfile": {"location": "app/Dockerfile", "inline": ""},
        "target": "", "exec": false, "load": false, "noCache": false, "pull": false,
        "buildOnPreview": true, "network": "default", "addHosts": [], "buildArgs": {},
        "labels": {}, "platforms": [], "registries": [], "secrets": {}, "ssh": [],
        "exports": [{"raw": "", "disabled": false,
                     "registry": {"danglingNamePrefix": "", "push": true, "compressionLevel": 0}},
                    {"docker": {"dest": ""}, "raw": "", "disabled": false}],
        "cacheFrom": [{"raw": "", "disabled": false, "local": {"src": "c", "digest": ""}}],
        "cacheTo": [{"raw": "", "disabled": false, "registry": {"ref": "r/a:c", "mode": "min"}}],
    });
    let ours = json!({
        "push": true, "tags": ["r.example/app:1"], "context": {"location": "app"},
        "dockerfile": {"location": "app/Dockerfile"}, "buildOnPreview": true, "network": "default",
        "exports": [{"registry": {"push": true}}, {"docker": {}}],
        "cacheFrom": [{"local": {"src": "c"}}],
        "cacheTo": [{"registry": {"ref": "r/a:c", "mode": "min", "compression": "gzip"}}],
    });
    assert_eq!(changes(official, ours, "h1"), []);
}
