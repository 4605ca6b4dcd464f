//! The Image and Index lifecycles' orchestration in process, with fakes
//! for the builder, the registry and ECR (no Docker engine): what the cache
//! policy decides reaches the build, a missing cache is a first build, a
//! builder that cannot export a cache costs the automatic cache, not the
//! deploy, and an Index joins its sources under its tag.

use std::sync::{Arc, Mutex};

use docker_build::build::render::CacheSyntax as _;
use docker_build::build::{BuildError, BuildJob, BuildOutcome, BuildRequest, Builder, Mode};
use docker_build::credential::Credential;
use docker_build::ecr::SdkEcr;
use docker_build::image::IMAGE;
use docker_build::index::INDEX;
use docker_build::provider::{Backends, Provider, Resource};
use docker_build::registry::{Deletion, JoinJob, Joined, Presence, Registry};
use docker_build::wire::map_from_json;
use futures_util::future::BoxFuture;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::harness::project;

/// Each join of an Index: its tags, sources and whether it pushed.
type Join = (Vec<String>, Vec<String>, bool);

/// Records each build's command line; refuses the first `refusals` with
/// "cannot export a cache", then reports a pushed digest.
#[derive(Default)]
struct RecordingBuilder {
    requests: Mutex<Vec<BuildRequest>>,
    refusals: Mutex<u32>,
}

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

impl Builder for RecordingBuilder {
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>> {
        self.requests.lock().unwrap().push(job.request.clone());
        let refuse = {
            let mut refusals = self.refusals.lock().unwrap();
            let refuse = *refusals > 0;
            *refusals = refusals.saturating_sub(1);
            refuse
        };
        Box::pin(async move {
            if refuse {
                return Err(BuildError::CacheExportUnsupported {
                    detail: "cache export is not supported for the docker driver".into(),
                });
            }
            Ok(BuildOutcome {
                metadata: json!({"containerimage.digest": DIGEST}),
                log: Default::default(),
            })
        })
    }
}

/// A registry where no cache exists yet.
struct NoCacheYet;

impl Registry for NoCacheYet {
    fn head<'a>(
        &'a self,
        _: &'a docker_build::model::Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Presence> {
        Box::pin(async { Presence::Missing })
    }

    fn delete<'a>(
        &'a self,
        _: &'a docker_build::model::Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Deletion> {
        Box::pin(async { Deletion::Deleted })
    }
}

/// A registry where every manifest exists, with [`DIGEST`]; it records
/// each join and answers it with [`DIGEST`].
#[derive(Default)]
struct AllThere {
    joins: Mutex<Vec<Join>>,
}

impl Registry for AllThere {
    fn head<'a>(
        &'a self,
        _: &'a docker_build::model::Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Presence> {
        Box::pin(async { Presence::Found(Some(DIGEST.to_owned())) })
    }

    fn delete<'a>(
        &'a self,
        _: &'a docker_build::model::Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Deletion> {
        Box::pin(async { Deletion::Deleted })
    }

    fn join<'a>(&'a self, job: JoinJob<'a>) -> BoxFuture<'a, Result<Joined, String>> {
        self.joins.lock().unwrap().push((
            job.tags.iter().map(ToString::to_string).collect(),
            job.sources.iter().map(ToString::to_string).collect(),
            job.push,
        ));
        Box::pin(async {
            Ok(Joined {
                digest: DIGEST.to_owned(),
                media_type: "application/vnd.oci.image.index.v1+json".into(),
                manifest: b"{}".to_vec(),
            })
        })
    }
}

fn faked(builder: Arc<RecordingBuilder>, dir: &std::path::Path) -> Provider {
    with_registry(builder, dir, Arc::new(NoCacheYet))
}

fn with_registry(
    builder: Arc<RecordingBuilder>,
    dir: &std::path::Path,
    registry: Arc<dyn Registry>,
) -> Provider {
    Provider::with_backends(
        dir.to_path_buf(),
        CancellationToken::new(),
        Backends {
            builder,
            registry,
            ecr: Arc::new(SdkEcr::default()),
        },
    )
}

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
    let builder = Arc::new(RecordingBuilder::default());
    let provider = faked(builder.clone(), dir.path());
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
    let (imports, exports) = caches(&builder.requests.lock().unwrap()[0]);
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
    let preview = builder.requests.lock().unwrap()[1].clone();
    assert_eq!(
        preview.mode,
        Mode::Preview,
        "the engine pushes nothing then"
    );
}

#[tokio::test]
async fn a_builder_without_cache_export_costs_the_automatic_cache_only() {
    let dir = project();
    let builder = Arc::new(RecordingBuilder {
        refusals: Mutex::new(1),
        ..RecordingBuilder::default()
    });
    let provider = faked(builder.clone(), dir.path());
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
    let runs = builder.requests.lock().unwrap().clone();
    assert_eq!(runs.len(), 2, "built again");
    assert_eq!(caches(&runs[0]).1.len(), 1);
    assert!(caches(&runs[1]).1.is_empty());

    // The user's own cache is theirs: the refusal is the deploy's error.
    let builder = Arc::new(RecordingBuilder {
        refusals: Mutex::new(1),
        ..RecordingBuilder::default()
    });
    let provider = faked(builder.clone(), dir.path());
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
    assert_eq!(builder.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_index_joins_its_sources_under_its_tag_and_records_the_digest() {
    let dir = project();
    let builder = Arc::new(RecordingBuilder::default());
    let registry = Arc::new(AllThere::default());
    let provider = with_registry(builder.clone(), dir.path(), registry.clone());
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
    assert!(registry.joins.lock().unwrap().is_empty());

    let created = INDEX
        .create(&provider, "idx", &checked.inputs, false, None)
        .await
        .expect("joined");
    assert_eq!(created.id, "r.example/app:multi");
    let joins = registry.joins.lock().unwrap().clone();
    assert_eq!(
        joins,
        [(
            vec!["r.example/app:multi".to_owned()],
            sources.map(str::to_owned).to_vec(),
            true
        )]
    );
    let state = docker_build::wire::Value::Object(created.state).to_json();
    assert_eq!(state["ref"], format!("r.example/app:multi@{DIGEST}"));
}
