use serde_json::json;

use std::collections::BTreeMap;

use super::*;
use crate::build::DockerfileSource;
use crate::model::Reference;
use crate::model::cache::{CacheFromInput, CacheToInput};
use crate::model::export::{Destination, Export};
use crate::wire::PropertyPath;

fn args(json: serde_json::Value) -> ImageSpec {
    let args: ImageArgs = serde_json::from_value(json).unwrap();
    ImageSpec::parse(&args).unwrap()
}

fn registry_cache(reference: &str) -> CachePlan {
    let from: CacheFromInput =
        serde_json::from_value(json!({"registry": {"ref": reference}})).unwrap();
    let to: CacheToInput =
        serde_json::from_value(json!({"registry": {"ref": reference, "mode": "max"}})).unwrap();
    CachePlan {
        imports: vec![from.validate(&PropertyPath::root()).unwrap()],
        exports: vec![to.validate(&PropertyPath::root()).unwrap()],
    }
}

fn full() -> ImageSpec {
    args(json!({
        "push": true,
        "load": true,
        "tags": ["r.example/app:1", "r.example/app:latest"],
        "context": {"location": "app", "named": {"base": {"location": "docker-image://busybox:local"}}},
        "dockerfile": {"location": "app/Dockerfile"},
        "buildArgs": {"VERSION": "1.2"},
        "labels": {"team": "core"},
        "platforms": ["linux/amd64", "linux/arm64"],
        "network": "host",
        "addHosts": ["db:10.0.0.1"],
        "target": "release",
        "noCache": true,
        "pull": true,
        "builder": {"name": "remote"},
        "ssh": [{"id": "default"}, {"id": "deploy", "paths": ["/keys/a", "/keys/b"]}],
        "secrets": {"NPM_TOKEN": "s3cr3t-value"},
        "exports": [{"tar": {"dest": "out.tar"}}, {"disabled": true, "local": {"dest": "x"}}],
    }))
}

#[test]
fn every_input_reaches_the_request() {
    let cache = registry_cache("r.example/app:cache");
    let request = build_request(&full(), &cache, Mode::Deploy);
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        request,
        BuildRequest {
            mode: Mode::Deploy,
            builder: Some("remote".into()),
            context: "app".into(),
            dockerfile: DockerfileSource::Location("app/Dockerfile".into()),
            tags: vec![
                Reference::parse("r.example/app:1").unwrap(),
                Reference::parse("r.example/app:latest").unwrap()
            ],
            build_args: map(&[("VERSION", "1.2")]),
            labels: map(&[("team", "core")]),
            platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
            network: Some("host".into()),
            add_hosts: vec!["db:10.0.0.1".into()],
            target: Some("release".into()),
            ssh: vec![
                SshAgent {
                    id: "default".into(),
                    paths: vec![],
                },
                SshAgent {
                    id: "deploy".into(),
                    paths: vec!["/keys/a".into(), "/keys/b".into()],
                },
            ],
            secrets: map(&[("NPM_TOKEN", "s3cr3t-value")]),
            named_contexts: map(&[("base", "docker-image://busybox:local")]),
            cache,
            // A disabled export is no export.
            exports: vec![Export::Tar(Destination {
                dest: "out.tar".into()
            })],
            export_names: vec![],
            no_cache: true,
            pull: true,
            push: true,
            load: true,
        }
    );
}

#[test]
fn defaults_are_the_engines_own_builder_and_the_current_directory() {
    let request = build_request(
        &args(json!({"push": false, "network": "default", "target": ""})),
        &CachePlan::default(),
        Mode::Preview,
    );
    assert_eq!(request.mode, Mode::Preview);
    assert_eq!(request.builder, None);
    assert_eq!(request.context, ".");
    assert_eq!(request.dockerfile, DockerfileSource::Default);
    assert_eq!((request.network, request.target), (None, None));
    assert!(!request.no_cache && !request.pull && !request.load);
}

#[test]
fn an_inline_dockerfile_is_carried_as_text() {
    let request = build_request(
        &args(json!({"push": false, "dockerfile": {"inline": "FROM scratch\n"}})),
        &CachePlan::default(),
        Mode::Deploy,
    );
    assert_eq!(
        request.dockerfile,
        DockerfileSource::Inline("FROM scratch\n".into())
    );
}

#[test]
fn an_empty_builder_name_is_the_engines_own() {
    let request = build_request(
        &args(json!({"push": false, "builder": {"name": ""}})),
        &CachePlan::default(),
        Mode::Deploy,
    );
    assert_eq!(request.builder, None);
}

#[test]
fn an_untagged_push_goes_to_the_names_of_the_first_pushing_image_export() {
    let names = |json: serde_json::Value| -> Vec<String> {
        let spec = args(json);
        let request = build_request(&spec, &CachePlan::default(), Mode::Deploy);
        request
            .export_names
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let exports = json!([
        {"docker": {"names": ["r.example/loaded:1"]}},
        {"image": {"names": ["r.example/kept:1"]}},
        {"raw": "type=registry,name=r.example/raw:1"},
    ]);
    assert_eq!(
        names(json!({"push": false, "exports": exports.clone()})),
        ["r.example/raw:1"]
    );
    // `push: true` pushes every image export: the first one's names.
    assert_eq!(
        names(json!({"push": true, "exports": exports})),
        ["r.example/kept:1"]
    );
    assert!(names(json!({"push": false})).is_empty());
}
