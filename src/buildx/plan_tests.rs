use serde_json::json;

use super::*;
use crate::image::{CacheFromInput, CacheToInput};
use crate::wire::PropertyPath;

fn args(json: serde_json::Value) -> ImageSpec {
    let args: ImageArgs = serde_json::from_value(json).unwrap();
    ImageSpec::parse(&args).unwrap()
}

fn argv(plan: &BuildPlan) -> Vec<String> {
    plan.argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
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
    ImageSpec::parse(&full_args()).unwrap()
}

fn full_args() -> ImageArgs {
    serde_json::from_value(json!({
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
    .unwrap()
}

#[test]
fn renders_every_input() {
    let plan = plan_build(
        &full(),
        &registry_cache("r.example/app:cache"),
        Mode::Deploy,
        Path::new("/tmp/m.json"),
    );
    let expected = [
        "build",
        "--progress",
        "rawjson",
        "--metadata-file",
        "/tmp/m.json",
        "--provenance",
        "false",
        "--builder",
        "remote",
        "--file",
        "app/Dockerfile",
        "--tag",
        "r.example/app:1",
        "--tag",
        "r.example/app:latest",
        "--build-arg",
        "VERSION=1.2",
        "--label",
        "team=core",
        "--platform",
        "linux/amd64,linux/arm64",
        "--network",
        "host",
        "--add-host",
        "db:10.0.0.1",
        "--target",
        "release",
        "--ssh",
        "default",
        "--ssh",
        "deploy=/keys/a,/keys/b",
        "--secret",
        "id=NPM_TOKEN,env=DOCKER_BUILD_SECRET_0",
        "--build-context",
        "base=docker-image://busybox:local",
        "--cache-from",
        "type=registry,ref=r.example/app:cache",
        "--cache-to",
        "type=registry,ref=r.example/app:cache,mode=max",
        "--output",
        "type=tar,dest=out.tar",
        "--no-cache",
        "--pull",
        "--push",
        "--load",
        "app",
    ];
    assert_eq!(argv(&plan), expected);
    assert_eq!(
        plan.secret_env,
        [(
            "DOCKER_BUILD_SECRET_0".to_owned(),
            "s3cr3t-value".to_owned()
        )]
    );
}

#[test]
fn secret_values_never_reach_argv() {
    let plan = plan_build(
        &full(),
        &CachePlan::default(),
        Mode::Deploy,
        Path::new("/m"),
    );
    assert!(argv(&plan).iter().all(|a| !a.contains("s3cr3t-value")));
}

#[test]
fn preview_plans_cannot_push_or_export_caches() {
    let mut args = full_args();
    args.exports =
        serde_json::from_value(json!([{"registry": {}}, {"raw": "type=registry,name=r/a"}]))
            .unwrap();
    let plan = plan_build(
        &ImageSpec::parse(&args).unwrap(),
        &registry_cache("r.example/app:cache"),
        Mode::Preview,
        Path::new("/m"),
    );
    let argv = argv(&plan);
    assert!(!argv.iter().any(|a| a == "--push"), "{argv:?}");
    assert!(!argv.iter().any(|a| a == "--cache-to"), "{argv:?}");
    assert!(
        !argv
            .iter()
            .any(|a| a.contains("push=true") || a.contains("type=registry,name")),
        "{argv:?}"
    );
    assert!(argv.iter().any(|a| a == "type=image,push=false"));
    // Imports are harmless and make the preview build fast.
    assert!(argv.iter().any(|a| a == "--cache-from"));
}

#[test]
fn inline_dockerfile_goes_through_stdin() {
    let args = args(
        json!({"push": false, "dockerfile": {"inline": "FROM scratch\n"}, "context": {"location": "."}}),
    );
    let plan = plan_build(&args, &CachePlan::default(), Mode::Deploy, Path::new("/m"));
    let argv = argv(&plan);
    let at = argv.iter().position(|a| a == "--file").unwrap();
    assert_eq!(argv[at + 1], "-");
    assert_eq!(plan.stdin.as_deref(), Some("FROM scratch\n"));
    assert_eq!(argv.last().map(String::as_str), Some("."));
}

#[test]
fn every_deploy_with_a_cache_plan_carries_the_cache_flags() {
    // The seed's `skip-cache-from` regression: cache flags are never
    // conditional on anything but the plan.
    let minimal =
        args(json!({"push": true, "tags": ["r.example/app:1"], "context": {"location": "."}}));
    let argv = argv(&plan_build(
        &minimal,
        &registry_cache("r.example/app:cache"),
        Mode::Deploy,
        Path::new("/m"),
    ));
    assert!(
        argv.windows(2)
            .any(|w| w[0] == "--cache-from" && w[1] == "type=registry,ref=r.example/app:cache")
    );
    assert!(
        argv.windows(2)
            .any(|w| w[0] == "--cache-to"
                && w[1].starts_with("type=registry,ref=r.example/app:cache"))
    );
}

/// S3 cache credentials are schema secrets: they reach buildx through its
/// environment (which it reads for `type=s3`), never its argv.
#[test]
fn s3_credentials_travel_in_the_environment() {
    let from: CacheFromInput = serde_json::from_value(json!({"s3": {
        "bucket": "b", "region": "r", "accessKeyId": "AKIA-ID",
        "secretAccessKey": "s3-secret-canary", "sessionToken": "s3-token-canary"}}))
    .unwrap();
    let to: CacheToInput = serde_json::from_value(json!({"s3": {
        "bucket": "b", "region": "r", "accessKeyId": "AKIA-ID",
        "secretAccessKey": "s3-secret-canary", "sessionToken": "s3-token-canary", "mode": "max"}}))
    .unwrap();
    let cache = CachePlan {
        imports: vec![from.validate(&PropertyPath::root()).unwrap()],
        exports: vec![to.validate(&PropertyPath::root()).unwrap()],
    };
    for mode in [Mode::Deploy, Mode::Preview] {
        let plan = plan_build(
            &args(json!({"push": false})),
            &cache,
            mode,
            Path::new("/tmp/m.json"),
        );
        let line = argv(&plan).join(" ");
        assert!(
            line.contains("--cache-from type=s3,bucket=b,region=r"),
            "{line}"
        );
        for canary in [
            "s3-secret-canary",
            "s3-token-canary",
            "AKIA-ID",
            "secret_access_key",
        ] {
            assert!(!line.contains(canary), "{canary} in argv: {line}");
        }
        let env: std::collections::BTreeMap<_, _> = plan.secret_env.iter().cloned().collect();
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIA-ID");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "s3-secret-canary");
        assert_eq!(env["AWS_SESSION_TOKEN"], "s3-token-canary");
    }
    // Without a secret, a key id alone stays on the command line (it is
    // not secret) and buildx finds the rest in its own environment.
    let id_only: CacheFromInput = serde_json::from_value(
        json!({"s3": {"bucket": "b", "region": "r", "accessKeyId": "AKIA-ID"}}),
    )
    .unwrap();
    let plan = plan_build(
        &args(json!({"push": false})),
        &CachePlan {
            imports: vec![id_only.validate(&PropertyPath::root()).unwrap()],
            exports: Vec::new(),
        },
        Mode::Deploy,
        Path::new("/tmp/m.json"),
    );
    assert!(argv(&plan).join(" ").contains("access_key_id=AKIA-ID"));
    assert!(plan.secret_env.is_empty());
}
