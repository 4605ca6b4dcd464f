//! Create, built for real by each provider on the same builder (the
//! fleet's `dbt-remote-a`, which the official provider can use) into the
//! test registry: the outputs a program passes on (`digest`, `ref`) have
//! the same shape, whatever the image's tags, push and exports.

use serde_json::{Value as Json, json};

use super::{Expect, Pair};
use crate::harness::{IMAGE, registry, require_engine, unique};

/// Inputs worth building, `{repo}` standing for a repository of each
/// provider's own.
fn create_cases() -> Vec<(&'static str, Json, Expect)> {
    use Expect::*;
    vec![
        (
            "tagged, not pushed",
            json!({"push": false, "tags": ["{repo}:1"]}),
            Same,
        ),
        ("pushed", json!({"push": true, "tags": ["{repo}:1"]}), Same),
        (
            "pushed under two tags",
            json!({"push": true, "tags": ["{repo}:1", "{repo}:2"]}),
            Same,
        ),
        (
            "untagged, cache only",
            json!({"push": false, "exports": [{"cacheonly": {}}]}),
            Same,
        ),
        (
            "pushed by a registry export's name",
            json!({"push": false, "exports": [{"registry": {"names": ["{repo}:named"]}}]}),
            Same,
        ),
        (
            "tagged, pushed by an image export",
            json!({"push": false, "tags": ["{repo}:1"], "exports": [{"image": {"push": true}}]}),
            Same,
        ),
        (
            "loaded into the engine",
            json!({"push": false, "tags": ["{repo}:1"], "load": true}),
            Same,
        ),
        (
            "two platforms pushed",
            json!({"push": true, "tags": ["{repo}:1"], "platforms": ["plan9/amd64", "plan9/386"]}),
            Same,
        ),
        (
            "a tarball",
            json!({"push": false, "tags": ["{repo}:1"], "exports": [{"docker": {"dest": "image.tar"}}]}),
            Ours(
                "with tags the official build fails: both file and store output is not supported by oci exporter",
            ),
        ),
    ]
}

/// `template` with `{repo}` as `repository`, on the builder both use.
fn inputs(template: &Json, repository: &str) -> Json {
    let text = template.to_string().replace("{repo}", repository);
    let mut inputs: Json = serde_json::from_str(&text).unwrap();
    inputs["builder"] = json!({"name": "dbt-remote-a"});
    inputs
}

/// `digest` and `ref` with the repository and any digest written the
/// same way, and whether `ref` names `digest`.
fn shape(state: &Json, repository: &str) -> (String, String, bool) {
    let text = |name: &str| state[name].as_str().unwrap_or("<none>").to_owned();
    let (digest, reference) = (text("digest"), text("ref"));
    let names_digest = !digest.is_empty() && reference.ends_with(&format!("@{digest}"));
    let general = |value: &str| {
        let value = value.replace(repository, "{repo}");
        match value.split_once("sha256:") {
            Some((before, _)) => format!("{before}sha256:…"),
            None => value,
        }
    };
    (general(&digest), general(&reference), names_digest)
}

#[tokio::test]
async fn create_outputs_what_the_official_provider_outputs() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY a /a\n").unwrap();
    std::fs::write(dir.path().join("a"), unique("create")).unwrap();
    let mut pair = Pair::start(dir.path()).await;
    let mut differences = Vec::new();
    for (name, template, expect) in create_cases() {
        let mut answers = Vec::new();
        for session in [&mut pair.ours, &mut pair.official] {
            let repository = format!("{}/{}", registry(), unique("conform"));
            let checked = session
                .on(&IMAGE)
                .checked(inputs(&template, &repository))
                .await;
            let created = session.on(&IMAGE).create(&checked, false).await;
            answers.push(created.map(|created| {
                let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
                shape(&state, &repository)
            }));
        }
        let agreed = match (expect, &answers[0], &answers[1]) {
            (Expect::Same, Ok(ours), Ok(theirs)) => ours == theirs,
            (Expect::Ours(_), Ok(_), Err(_)) => true,
            _ => false,
        };
        if !agreed {
            differences.push(format!(
                "{name} ({expect:?}): ours {:?}, official {:?}",
                answers[0], answers[1]
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
