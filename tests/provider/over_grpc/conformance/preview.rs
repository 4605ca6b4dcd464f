//! A preview's Create: which outputs each provider knows before anything
//! is built, and which it leaves unknown (what a program's other
//! resources see of the image in a preview).

use serde_json::{Value as Json, json};

use super::Pair;
use crate::harness::IMAGE;

/// Inputs whose preview is worth comparing (none of them builds).
fn preview_cases() -> Vec<(&'static str, Json)> {
    let tag = "r.example/app:1";
    vec![
        (
            "not pushed",
            json!({"push": false, "tags": [tag], "buildOnPreview": false}),
        ),
        (
            "pushed",
            json!({"push": true, "tags": [tag], "buildOnPreview": false}),
        ),
        ("untagged", json!({"push": false, "buildOnPreview": false})),
        (
            "two tags",
            json!({"push": true, "tags": [tag, "r.example/app:2"], "buildOnPreview": false}),
        ),
        (
            "exported",
            json!({"push": false, "tags": [tag], "buildOnPreview": false, "exports": [{"registry": {}}]}),
        ),
        (
            "an unknown tag",
            json!({"push": true, "tags": ["$unknown"], "buildOnPreview": false}),
        ),
    ]
}

/// What a preview says of the outputs a program passes on (`digest`,
/// `ref`): each with `?` when not known yet, or its value. (This provider
/// also knows `contextHash` already, where the official one leaves it
/// unknown, and adds its own `cacheReport`.)
fn outputs(state: &Json) -> Vec<String> {
    ["digest", "ref"]
        .iter()
        .map(|name| match &state[name] {
            value if value == &json!("$unknown") => format!("{name}?"),
            value => format!("{name}={value}"),
        })
        .collect()
}

#[tokio::test]
async fn a_preview_knows_what_the_official_providers_preview_knows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let mut pair = Pair::start(dir.path()).await;
    let mut differences = Vec::new();
    for (name, inputs) in preview_cases() {
        let mut answers = Vec::new();
        for session in [&mut pair.ours, &mut pair.official] {
            let checked = session.on(&IMAGE).checked(inputs.clone()).await;
            let created = session.on(&IMAGE).create(&checked, true).await;
            let created = created.expect("a preview creates");
            let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
            answers.push(outputs(&state));
        }
        if answers[0] != answers[1] {
            differences.push(format!(
                "{name}: ours {:?}, official {:?}",
                answers[0], answers[1]
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
