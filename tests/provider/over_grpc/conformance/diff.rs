//! Diff: each input changed, against a stack in the official provider's
//! state (its Check's answer, with what Create adds).

use serde_json::{Value as Json, json};

use super::{Pair, keygen, merged, official_image_state};
use crate::harness::{IMAGE, INDEX};

/// Pairs of program inputs (before, after) worth comparing in Diff.
fn diff_cases() -> Vec<(&'static str, Json, Json)> {
    let base = json!({"push": false, "tags": ["r.example/app:1"]});
    let with = |extra: Json| merged(&base, extra);
    vec![
        ("nothing", base.clone(), base.clone()),
        (
            "a tag added",
            base.clone(),
            with(json!({"tags": ["r.example/app:1", "r.example/app:2"]})),
        ),
        (
            "push switched on",
            base.clone(),
            with(json!({"push": true})),
        ),
        (
            "a build arg",
            base.clone(),
            with(json!({"buildArgs": {"A": "1"}})),
        ),
        (
            "a build arg changed",
            with(json!({"buildArgs": {"A": "1"}})),
            with(json!({"buildArgs": {"A": "2"}})),
        ),
        ("a label", base.clone(), with(json!({"labels": {"l": "v"}}))),
        (
            "platforms",
            base.clone(),
            with(json!({"platforms": ["linux/amd64"]})),
        ),
        (
            "platforms reordered",
            with(json!({"platforms": ["linux/amd64", "linux/arm64"]})),
            with(json!({"platforms": ["linux/arm64", "linux/amd64"]})),
        ),
        (
            "a cache",
            base.clone(),
            with(json!({"cacheTo": [{"inline": {}}]})),
        ),
        (
            "a cache ref changed",
            with(json!({"cacheFrom": [{"registry": {"ref": "r.example/app:c1"}}]})),
            with(json!({"cacheFrom": [{"registry": {"ref": "r.example/app:c2"}}]})),
        ),
        (
            "an export",
            base.clone(),
            with(json!({"exports": [{"tar": {"dest": "out.tar"}}]})),
        ),
        (
            "an inline dockerfile",
            base.clone(),
            with(json!({"dockerfile": {"inline": "FROM scratch\n"}})),
        ),
        ("a target", base.clone(), with(json!({"target": "app"}))),
        ("no cache", base.clone(), with(json!({"noCache": true}))),
        ("pull", base.clone(), with(json!({"pull": true}))),
        ("load", base.clone(), with(json!({"load": true}))),
        ("exec", base.clone(), with(json!({"exec": true}))),
        (
            "network host",
            base.clone(),
            with(json!({"network": "host"})),
        ),
        (
            "an add-host",
            base.clone(),
            with(json!({"addHosts": ["db:10.0.0.1"]})),
        ),
        (
            "a builder",
            base.clone(),
            with(json!({"builder": {"name": "remote"}})),
        ),
        (
            "build on preview off",
            base.clone(),
            with(json!({"buildOnPreview": false})),
        ),
        (
            "a secret",
            base.clone(),
            with(json!({"secrets": {"S": "v"}})),
        ),
        (
            "a secret changed",
            with(json!({"secrets": {"S": "v"}})),
            with(json!({"secrets": {"S": "w"}})),
        ),
        (
            "a login",
            base.clone(),
            with(
                json!({"registries": [{"address": "r.example", "username": "u", "password": "p"}]}),
            ),
        ),
        (
            "a login's password",
            with(
                json!({"registries": [{"address": "r.example", "username": "u", "password": "p"}]}),
            ),
            with(
                json!({"registries": [{"address": "r.example", "username": "u", "password": "q"}]}),
            ),
        ),
        (
            "pull with push, unchanged",
            with(json!({"pull": true, "push": true})),
            with(json!({"pull": true, "push": true})),
        ),
        (
            "pull with an export, unchanged",
            with(json!({"pull": true, "exports": [{"tar": {"dest": "o.tar"}}]})),
            with(json!({"pull": true, "exports": [{"tar": {"dest": "o.tar"}}]})),
        ),
        (
            "pull alone, unchanged",
            with(json!({"pull": true})),
            with(json!({"pull": true})),
        ),
        (
            "an ignored secret changed",
            with(json!({"secrets": {"S": "v"}, "ignoreSecretsInDiffCalculation": ["S"]})),
            with(json!({"secrets": {"S": "w"}, "ignoreSecretsInDiffCalculation": ["S"]})),
        ),
        (
            "a login's user",
            with(
                json!({"registries": [{"address": "r.example", "username": "u", "password": "p"}]}),
            ),
            with(
                json!({"registries": [{"address": "r.example", "username": "v", "password": "p"}]}),
            ),
        ),
        (
            "an ssh entry",
            base.clone(),
            with(json!({"ssh": [{"id": "default", "paths": ["app/key"]}]})),
        ),
        (
            "a context",
            base.clone(),
            with(json!({"context": {"location": "app"}})),
        ),
    ]
}

/// Pairs of Index inputs (before, after) worth comparing in Diff.
fn index_diff_cases() -> Vec<(&'static str, Json, Json)> {
    let source = |c: char| format!("r.example/app@sha256:{}", c.to_string().repeat(64));
    let base = json!({"tag": "r.example/app:1", "sources": [source('a')]});
    let with = |extra: Json| merged(&base, extra);
    let login = |address: &str, user: &str, password: &str| json!({"registry": {"address": address, "username": user, "password": password}});
    vec![
        ("nothing", base.clone(), base.clone()),
        (
            "a new tag",
            base.clone(),
            with(json!({"tag": "r.example/app:2"})),
        ),
        (
            "another source",
            base.clone(),
            with(json!({"sources": [source('a'), source('b')]})),
        ),
        (
            "push switched off",
            base.clone(),
            with(json!({"push": false})),
        ),
        ("a login", base.clone(), with(login("r.example", "u", "p"))),
        (
            "the login's address",
            with(login("r.example", "u", "p")),
            with(login("q.example", "u", "p")),
        ),
        (
            "the login's user",
            with(login("r.example", "u", "p")),
            with(login("r.example", "v", "p")),
        ),
        (
            "the login's password",
            with(login("r.example", "u", "p")),
            with(login("r.example", "u", "q")),
        ),
    ]
}

#[tokio::test]
async fn diff_answers_what_the_official_provider_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY a /a\n").unwrap();
    std::fs::write(dir.path().join("a"), "a").unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/Dockerfile"), "FROM scratch\n").unwrap();
    keygen(&dir.path().join("app/key"), "");
    let hash = crate::over_grpc::migration::official_hash(
        Some(&dir.path().join("Dockerfile")),
        &[dir.path()],
        &[],
    );
    let mut pair = Pair::start(dir.path()).await;
    let state_of = |_: &Json, inputs: Json| official_image_state(inputs, &hash);
    let differences = pair.compare_diffs(&IMAGE, diff_cases(), state_of).await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn index_diff_answers_what_the_official_provider_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut pair = Pair::start(dir.path()).await;
    let state_of = |before: &Json, mut state: Json| {
        let tag = before["tag"].as_str().unwrap();
        state["ref"] = json!(format!("{tag}@sha256:{}", "5".repeat(64)));
        state
    };
    let differences = pair
        .compare_diffs(&INDEX, index_diff_cases(), state_of)
        .await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
