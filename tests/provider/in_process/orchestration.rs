//! The Image and Index lifecycles' orchestration in process, with fakes
//! for the builder, the registry and ECR (no Docker engine): what the cache
//! policy decides reaches the build, a missing cache is a first build, a
//! builder that cannot export a cache costs the automatic cache, not the
//! deploy, and an Index joins its sources under its tag.

use docker_build::build::render::CacheSyntax as _;
use docker_build::build::{BuildRequest, Mode};
use docker_build::ecr::RepositoryState;
use docker_build::fakes::{BuildAnswer, DIGEST, Fakes, JoinCall};
use docker_build::image::IMAGE;
use docker_build::index::INDEX;
use docker_build::provider::Resource;
use docker_build::registry::Presence;
use docker_build::wire::map_from_json;
use serde_json::json;

use crate::harness::project;

/// The cache entries a request imports and exports, as buildx writes them.
fn caches(request: &BuildRequest) -> (Vec<String>, Vec<String>) {
    (
        request.cache.imports.iter().map(|c| c.render()).collect(),
        request.cache.exports.iter().map(|c| c.render()).collect(),
    )
}

#[tokio::test]
async fn a_missing_automatic_cache_is_exported_but_not_imported() {
    let dir = project();
    let fakes = Fakes::default();
    let provider = fakes.provider(dir.path());
    let checked = IMAGE.check(
        &provider,
        &map_from_json(json!({"push": true, "tags": ["r.example/app:1"]})),
    );
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let created = IMAGE
        .create(&provider, "img", &checked.inputs, false, None)
        .await
        .expect("built");
    assert_eq!(created.id, DIGEST);
    assert_eq!(
        fakes.registry.heads(),
        ["r.example/app:cache"],
        "asked first"
    );
    let (imports, exports) = caches(&fakes.builder.requests()[0]);
    assert_eq!(imports, Vec::<String>::new(), "no cache yet: a first build");
    assert_eq!(
        exports,
        [
            "type=registry,ref=r.example/app:cache,mode=max,ignore-error=true,oci-mediatypes=true,image-manifest=true"
        ]
    );
    let state = docker_build::wire::Value::Object(created.state).to_json();
    assert_eq!(state["cacheReport"]["found"], false);
    assert_eq!(state["ref"], format!("r.example/app:1@{DIGEST}"));

    // A preview reads the cache but exports none and pushes nothing.
    IMAGE
        .create(&provider, "img", &checked.inputs, true, None)
        .await
        .expect("previewed");
    let preview = fakes.builder.requests()[1].clone();
    assert_eq!(
        preview.mode,
        Mode::Preview,
        "the engine pushes nothing then"
    );
}

#[tokio::test]
async fn a_builder_without_cache_export_costs_the_automatic_cache_only() {
    let dir = project();
    let fakes = Fakes::default();
    fakes
        .builder
        .answer_next([BuildAnswer::CacheExportUnsupported]);
    let provider = fakes.provider(dir.path());
    let inputs = IMAGE
        .check(
            &provider,
            &map_from_json(json!({"push": true, "tags": ["r.example/app:1"]})),
        )
        .inputs;
    IMAGE
        .create(&provider, "img", &inputs, false, None)
        .await
        .expect("the deploy goes on without the cache");
    let runs = fakes.builder.requests();
    assert_eq!(runs.len(), 2, "built again");
    assert_eq!(caches(&runs[0]).1.len(), 1);
    assert!(caches(&runs[1]).1.is_empty());

    // The user's own cache is theirs: the refusal is the deploy's error.
    let fakes = Fakes::default();
    fakes
        .builder
        .answer_next([BuildAnswer::CacheExportUnsupported]);
    let provider = fakes.provider(dir.path());
    let inputs = IMAGE
        .check(
            &provider,
            &map_from_json(
                json!({"push": true, "tags": ["r.example/app:1"], "cacheTo": [{"inline": {}}]}),
            ),
        )
        .inputs;
    let error = IMAGE
        .create(&provider, "img", &inputs, false, None)
        .await
        .expect_err("a cacheTo asked for cannot be dropped");
    assert!(error.to_string().contains("cache"), "{error}");
    assert_eq!(fakes.builder.requests().len(), 1);
}

#[tokio::test]
async fn an_index_joins_its_sources_under_its_tag_and_records_the_digest() {
    let dir = project();
    let fakes = Fakes::default();
    fakes
        .registry
        .answering(Presence::Found(Some(DIGEST.to_owned())));
    let provider = fakes.provider(dir.path());
    let (amd64, arm64) = (
        format!("r.example/app@sha256:{}", "a".repeat(64)),
        format!("r.example/app@sha256:{}", "b".repeat(64)),
    );
    let sources = [amd64.as_str(), arm64.as_str()];
    let checked = INDEX.check(
        &provider,
        &map_from_json(json!({"tag": "r.example/app:multi", "sources": sources})),
    );
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);

    // A preview joins nothing.
    INDEX
        .create(&provider, "idx", &checked.inputs, true, None)
        .await
        .expect("previewed");
    assert!(fakes.registry.joins().is_empty());

    let created = INDEX
        .create(&provider, "idx", &checked.inputs, false, None)
        .await
        .expect("joined");
    assert_eq!(created.id, "r.example/app:multi");
    assert_eq!(
        fakes.registry.joins(),
        [JoinCall {
            tags: vec!["r.example/app:multi".to_owned()],
            sources: sources.map(str::to_owned).to_vec(),
            push: true,
        }]
    );
    assert!(fakes.builder.calls().is_empty(), "an Index builds nothing");
    let state = docker_build::wire::Value::Object(created.state).to_json();
    assert_eq!(state["ref"], format!("r.example/app:multi@{DIGEST}"));
}

#[tokio::test]
async fn a_push_to_ecr_logs_in_with_a_token_and_needs_the_repository() {
    let ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let dir = project();
    let inputs = json!({"push": true, "tags": [format!("{ecr}/app:1")]});

    let fakes = Fakes::default();
    let provider = fakes.provider(dir.path());
    let checked = IMAGE.check(&provider, &map_from_json(inputs.clone()));
    IMAGE
        .create(&provider, "img", &checked.inputs, false, None)
        .await
        .expect("built and pushed");
    assert_eq!(
        fakes.ecr.tokens(),
        [ecr],
        "one token, nobody ran docker login"
    );
    assert_eq!(fakes.ecr.lookups(), [format!("{ecr}/app")]);
    let calls = fakes.builder.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].login_hosts, [ecr], "the build holds the token");

    // A repository that does not exist: said before anything is built.
    let fakes = Fakes::default();
    fakes.ecr.repositories(RepositoryState::Missing);
    let provider = fakes.provider(dir.path());
    let error = IMAGE
        .create(&provider, "img", &checked.inputs, false, None)
        .await
        .expect_err("nothing could be pushed");
    assert!(error.to_string().contains("app"), "{error}");
    assert!(fakes.builder.calls().is_empty());

    // No AWS credentials and no login for the host: the deploy's error.
    let fakes = Fakes::default();
    fakes.ecr.without_credentials();
    let provider = fakes.provider(dir.path());
    let error = IMAGE
        .create(&provider, "img", &checked.inputs, false, None)
        .await
        .expect_err("no way to log in");
    assert!(error.to_string().contains("AWS"), "{error}");
    assert!(fakes.builder.calls().is_empty());
}
