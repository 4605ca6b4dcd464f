//! Joining images into one index with our registry client
//! (`docker_build::registry::HttpRegistry::join`) against real registries:
//! the index is byte for byte what `docker buildx imagetools create` makes
//! of the same sources; sources in another repository are mounted into the
//! tag's; sources on another registry are streamed there, through a
//! registry that wants a password.

use docker_build::credential::{Credential, RegistryHost};
use docker_build::registry::{HttpRegistry, JoinJob, Presence, Registry};
use serde_json::json;

use crate::harness::{Session, from_struct, registry, require_engine, unique};
use crate::registry_kit::index_platforms;

/// Pushes two one-platform images (plan9/amd64, plan9/386) of `repository`
/// through the provider, each a layer holding `payload`; their `ref`s.
async fn two_platforms(repository: &str, payload: &[u8]) -> [String; 2] {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY a b /\n").unwrap();
    std::fs::write(dir.path().join("a"), unique("join")).unwrap();
    std::fs::write(dir.path().join("b"), payload).unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let mut refs = Vec::new();
    for platform in ["plan9/amd64", "plan9/386"] {
        let tag = format!("{}/{repository}:{}", registry(), platform.replace('/', "-"));
        let inputs = session
            .checked(
                json!({"push": true, "tags": [tag], "platforms": [platform], "autoCache": false}),
            )
            .await;
        let created = session.create(&inputs, false).await.expect("image pushed");
        let state = from_struct(created.properties.as_ref().unwrap());
        refs.push(state["ref"].as_str().unwrap().to_owned());
    }
    refs.try_into().unwrap()
}

/// The size of the largest layer of the image `digest` of `repository`
/// in the test registry.
async fn largest_layer(repository: &str, digest: &str) -> u64 {
    let url = format!("http://{}/v2/{repository}/manifests/{digest}", registry());
    let response = reqwest::Client::new()
        .get(url)
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let layers = manifest["layers"].as_array().expect("an image manifest");
    layers
        .iter()
        .filter_map(|l| l["size"].as_u64())
        .max()
        .unwrap_or(0)
}

/// `len` bytes of a fixed pseudo-random sequence (xorshift).
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

fn imagetools_dry_run(tag: &str, sources: &[String]) -> String {
    let buildx = docker_build::build::locate::find_buildx().expect("buildx");
    let out = std::process::Command::new(buildx)
        .args(["imagetools", "create", "--dry-run", "--tag", tag])
        .args(sources)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `text` as the reference the registry client takes.
fn r(text: &str) -> docker_build::model::Reference {
    docker_build::model::Reference::parse(text).unwrap()
}

#[tokio::test]
async fn a_join_is_what_imagetools_makes_and_lands_in_another_repository() {
    require_engine();
    let repository = unique("join-src");
    let sources = two_platforms(&repository, b"small").await;
    let client = HttpRegistry::default();

    // Not pushed: the same bytes buildx prints for the same sources.
    let tag = format!("{}/{}:joined", registry(), unique("join-dest"));
    let (tag_ref, parsed) = (r(&tag), sources.iter().map(|s| r(s)).collect::<Vec<_>>());
    let job = JoinJob {
        tags: std::slice::from_ref(&tag_ref),
        sources: &parsed,
        push: false,
        credentials: &[],
    };
    let assembled = client.join(job).await.expect("assembled");
    let printed = imagetools_dry_run(&tag, &sources);
    assert_eq!(
        String::from_utf8(assembled.manifest.clone()).unwrap(),
        printed.trim_end()
    );
    assert_eq!(client.head(&tag_ref, &[]).await, Presence::Missing);

    // Pushed to a repository that held neither image: both are mounted
    // there, and the tag names the digest the join reported.
    let joined = client
        .join(JoinJob { push: true, ..job })
        .await
        .expect("joined");
    assert_eq!(joined.digest, assembled.digest);
    assert_eq!(
        client.head(&tag_ref, &[]).await,
        Presence::Found(Some(joined.digest.clone()))
    );
    let dest = tag.split_once('/').unwrap().1.rsplit_once(':').unwrap().0;
    assert_eq!(
        index_platforms(dest, "joined").await.unwrap(),
        ["plan9/amd64", "plan9/386"]
    );
    for source in &sources {
        let digest = source.rsplit_once('@').unwrap().1;
        let copied = format!("{}/{dest}@{digest}", registry());
        assert!(
            matches!(client.head(&r(&copied), &[]).await, Presence::Found(_)),
            "{copied} was not copied"
        );
    }
}

#[tokio::test]
async fn a_join_onto_another_registry_streams_the_images_there_with_its_login() {
    require_engine();
    let repository = unique("join-far");
    // Bytes no compression shrinks, so the layer crosses registries in
    // several chunks (8 MiB each).
    let sources = two_platforms(&repository, &noise(20 << 20)).await;
    let largest = largest_layer(&repository, sources[0].rsplit_once('@').unwrap().1).await;
    assert!(
        largest > 2 * (8 << 20),
        "a layer of {largest} bytes takes several chunks"
    );
    let ecr =
        std::env::var("DOCKER_BUILD_TEST_ECR_REGISTRY").expect("DOCKER_BUILD_TEST_ECR_REGISTRY");
    let login = Credential {
        host: RegistryHost::parse(&ecr),
        username: "AWS".into(),
        password: std::env::var("DOCKER_BUILD_TEST_ECR_PASSWORD").expect("ECR password"),
    };
    let client = HttpRegistry::default();
    let tag = format!("{ecr}/{repository}:joined");
    let (tag_ref, parsed) = (r(&tag), sources.iter().map(|s| r(s)).collect::<Vec<_>>());

    // Without the login the registry refuses, and says so.
    let refused = client
        .join(JoinJob {
            tags: std::slice::from_ref(&tag_ref),
            sources: &parsed,
            push: true,
            credentials: &[],
        })
        .await
        .expect_err("no login");
    assert!(refused.contains("401"), "{refused}");

    let credentials = [login];
    let joined = client
        .join(JoinJob {
            tags: std::slice::from_ref(&tag_ref),
            sources: &parsed,
            push: true,
            credentials: &credentials,
        })
        .await
        .expect("joined across registries");
    assert_eq!(
        client.head(&tag_ref, &credentials).await,
        Presence::Found(Some(joined.digest))
    );
    for source in &sources {
        let digest = source.rsplit_once('@').unwrap().1;
        let copied = format!("{ecr}/{repository}@{digest}");
        assert!(
            matches!(
                client.head(&r(&copied), &credentials).await,
                Presence::Found(_)
            ),
            "{copied} was not copied"
        );
    }
}
