use serde_json::json;

use std::path::Path;

use super::*;
use crate::buildx::{BuildPlan, plan_build};
use crate::model::cache::{CacheFrom, CacheFromInput, CacheTo, CacheToInput};
use crate::wire::PropertyPath;

/// `spec`'s build as buildx will run it.
fn planned(
    spec: &ImageSpec,
    cache: &CachePlan,
    mode: Mode,
    metadata: &Path,
    base: &Path,
) -> BuildPlan {
    plan_build(&build_request(spec, cache, mode), metadata, base)
}

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
    let plan = planned(
        &full(),
        &registry_cache("r.example/app:cache"),
        Mode::Deploy,
        Path::new("/tmp/m.json"),
        Path::new("/prog"),
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
    let plan = planned(
        &full(),
        &CachePlan::default(),
        Mode::Deploy,
        Path::new("/m"),
        Path::new("/prog"),
    );
    assert!(argv(&plan).iter().all(|a| !a.contains("s3cr3t-value")));
}

#[test]
fn preview_plans_cannot_push_or_export_caches() {
    let mut args = full_args();
    args.exports =
        serde_json::from_value(json!([{"registry": {}}, {"raw": "type=registry,name=r/a"}]))
            .unwrap();
    let plan = planned(
        &ImageSpec::parse(&args).unwrap(),
        &registry_cache("r.example/app:cache"),
        Mode::Preview,
        Path::new("/m"),
        Path::new("/prog"),
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
    let plan = planned(
        &args,
        &CachePlan::default(),
        Mode::Deploy,
        Path::new("/m"),
        Path::new("/prog"),
    );
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
    let argv = argv(&planned(
        &minimal,
        &registry_cache("r.example/app:cache"),
        Mode::Deploy,
        Path::new("/m"),
        Path::new("/prog"),
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

fn cache_from(json: serde_json::Value) -> CacheFrom {
    let input: CacheFromInput = serde_json::from_value(json).unwrap();
    input.validate(&PropertyPath::root()).unwrap()
}

fn cache_to(json: serde_json::Value) -> CacheTo {
    let input: CacheToInput = serde_json::from_value(json).unwrap();
    input.validate(&PropertyPath::root()).unwrap()
}

/// Caches with a secret each, every entry its own.
fn secret_caches() -> CachePlan {
    CachePlan {
        imports: vec![
            cache_from(
                json!({"s3": {"bucket": "b", "region": "r", "accessKeyId": "AKID-FROM",
                "secretAccessKey": "s3-from-canary", "sessionToken": "s3-token-canary"}}),
            ),
            cache_from(
                json!({"azblob": {"name": "n", "accountUrl": "https://a.blob",
                "secretAccessKey": "azure-from-canary"}}),
            ),
        ],
        exports: vec![
            cache_to(
                json!({"s3": {"bucket": "b2", "region": "r", "accessKeyId": "AKID-TO",
                "secretAccessKey": "s3-to-canary", "mode": "max"}}),
            ),
            cache_to(json!({"azblob": {"name": "n", "secretAccessKey": "azure-to-canary"}})),
        ],
    }
}

const CANARIES: [&str; 5] = [
    "s3-from-canary",
    "s3-token-canary",
    "s3-to-canary",
    "azure-from-canary",
    "azure-to-canary",
];

fn definition(plan: &BuildPlan) -> serde_json::Value {
    let text = plan.stdin.as_deref().expect("a definition on stdin");
    let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
    parsed["target"][plan.bake_target.unwrap()].clone()
}

/// S3 and Azure Blob cache secrets are schema secrets: a build with one
/// is a bake definition on stdin, each entry with its own credentials,
/// never on the command line or in the environment.
#[test]
fn cache_secrets_move_the_build_to_a_bake_definition_on_stdin() {
    let spec = args(json!({"push": false, "secrets": {"TOKEN": "build-secret"}}));
    let plan = planned(
        &spec,
        &secret_caches(),
        Mode::Deploy,
        Path::new("/tmp/m.json"),
        Path::new("/prog"),
    );
    let line = argv(&plan);
    assert_eq!(line[0], "bake");
    assert_eq!(line.last().map(String::as_str), Some("image"));
    assert!(line.windows(2).any(|w| w == ["--file", "-"]), "{line:?}");
    let env = format!("{:?}", plan.secret_env);
    for canary in CANARIES {
        assert!(
            !line.join(" ").contains(canary),
            "{canary} in argv: {line:?}"
        );
        assert!(!env.contains(canary), "{canary} in the environment: {env}");
    }
    let target = definition(&plan);
    assert_eq!(
        target["cache-from"],
        json!([
            "type=s3,bucket=b,region=r,access_key_id=AKID-FROM,secret_access_key=s3-from-canary,session_token=s3-token-canary",
            "type=azblob,account_url=https://a.blob,name=n,secret_access_key=azure-from-canary",
        ])
    );
    assert_eq!(
        target["cache-to"],
        json!([
            "type=s3,bucket=b2,region=r,access_key_id=AKID-TO,secret_access_key=s3-to-canary,mode=max",
            "type=azblob,name=n,secret_access_key=azure-to-canary",
        ])
    );
    // Build secrets keep their own channel: the id here, the value in env.
    assert_eq!(
        target["secret"],
        json!(["id=TOKEN,env=DOCKER_BUILD_SECRET_0"])
    );
    assert!(env.contains("build-secret"));

    // A preview exports nothing, so the export's secret is not even on stdin.
    let preview = planned(
        &spec,
        &secret_caches(),
        Mode::Preview,
        Path::new("/m"),
        Path::new("/prog"),
    );
    assert!(!preview.stdin.as_deref().unwrap().contains("s3-to-canary"));
    assert_eq!(definition(&preview)["cache-to"], json!([]));
}

#[test]
fn a_bake_definition_carries_every_setting_with_local_paths_absolute() {
    let mut args = full_args();
    args.network = None;
    args.add_hosts.clear();
    args.context.as_mut().unwrap().named.insert(
        "lib".to_owned(),
        serde_json::from_value(json!({"location": "./lib"})).unwrap(),
    );
    let spec = ImageSpec::parse(&args).unwrap();
    let plan = planned(
        &spec,
        &secret_caches(),
        Mode::Deploy,
        Path::new("/tmp/m.json"),
        Path::new("/prog"),
    );
    let line = argv(&plan);
    for flag in [
        "--push",
        "--load",
        "--builder",
        "--provenance",
        "--metadata-file",
    ] {
        assert!(line.iter().any(|a| a == flag), "{flag} in {line:?}");
    }
    let target = definition(&plan);
    assert_eq!(target["context"], "/prog/app");
    assert_eq!(target["dockerfile"], "/prog/app/Dockerfile");
    assert_eq!(
        target["contexts"],
        json!({"base": "docker-image://busybox:local", "lib": "/prog/lib"})
    );
    assert_eq!(
        target["tags"],
        json!(["r.example/app:1", "r.example/app:latest"])
    );
    assert_eq!(target["args"], json!({"VERSION": "1.2"}));
    assert_eq!(target["labels"], json!({"team": "core"}));
    assert_eq!(target["platforms"], json!(["linux/amd64", "linux/arm64"]));
    assert_eq!(target["target"], "release");
    assert_eq!(target["ssh"], json!(["default", "deploy=/keys/a,/keys/b"]));
    assert_eq!(target["output"], json!(["type=tar,dest=out.tar"]));
    assert_eq!(
        (&target["no-cache"], &target["pull"]),
        (&json!(true), &json!(true))
    );

    let inline = args_with_inline();
    let plan = planned(
        &inline,
        &secret_caches(),
        Mode::Deploy,
        Path::new("/m"),
        Path::new("/prog"),
    );
    assert_eq!(definition(&plan)["dockerfile-inline"], "FROM scratch\n");
    assert_eq!(definition(&plan)["context"], "/prog");
}

#[test]
fn a_dockerfile_in_a_remote_context_stays_the_repository_s() {
    let spec = args(json!({"push": false,
        "context": {"location": "https://github.com/example/app.git#main"},
        "dockerfile": {"location": "build/Dockerfile"}}));
    let plan = planned(
        &spec,
        &secret_caches(),
        Mode::Deploy,
        Path::new("/m"),
        Path::new("/prog"),
    );
    let target = definition(&plan);
    assert_eq!(target["context"], "https://github.com/example/app.git#main");
    assert_eq!(target["dockerfile"], "build/Dockerfile");
}

fn args_with_inline() -> ImageSpec {
    args(json!({"push": false, "dockerfile": {"inline": "FROM scratch\n"}}))
}

/// Without a secret, a key id stays on the command line (it is not
/// secret) and buildx finds the rest in its own AWS environment.
#[test]
fn an_s3_cache_without_a_secret_is_a_plain_build() {
    let plan = planned(
        &args(json!({"push": false})),
        &CachePlan {
            imports: vec![cache_from(
                json!({"s3": {"bucket": "b", "region": "r", "accessKeyId": "AKIA-ID"}}),
            )],
            exports: Vec::new(),
        },
        Mode::Deploy,
        Path::new("/tmp/m.json"),
        Path::new("/prog"),
    );
    assert_eq!(argv(&plan)[0], "build");
    assert!(argv(&plan).join(" ").contains("access_key_id=AKIA-ID"));
    assert!(plan.secret_env.is_empty());
    assert_eq!(plan.bake_target, None);
}
