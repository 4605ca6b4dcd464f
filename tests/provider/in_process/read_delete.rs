//! Read and Delete of both resources in process, against the shared fakes
//! (the counterparts of the official provider's `TestRead`,
//! `TestReadInspectError`, `TestDelete` and `TestIndexDelete`): a refresh
//! forgets a resource only when the registry says it is gone, keeps the
//! state on any answer that is not definite, and a destroy is best effort,
//! never deleting a digest that other tags still hold.

use docker_build::fakes::Fakes;
use docker_build::image::IMAGE;
use docker_build::index::INDEX;
use docker_build::provider::{Refreshed, Resource};
use docker_build::registry::{Deletion, Presence};
use docker_build::wire::{PropertyMap, Value, map_from_json};
use serde_json::json;

const DIGEST: &str = "sha256:3be99cafdcd80a8e620da56bdc215acab6213bb608d3d492c0ba1807128786a1";
const TAG: &str = "docker.io/pulumi/pulumitest";

/// An Image's stored state: pushed under `tags` with [`DIGEST`].
fn image_state(tags: &[&str]) -> PropertyMap {
    map_from_json(json!({
        "push": true,
        "tags": tags,
        "digest": DIGEST,
        "contextHash": "0123",
        "ref": format!("{}@{DIGEST}", tags[0]),
    }))
}

fn json_of(map: &PropertyMap) -> serde_json::Value {
    Value::Object(map.clone()).to_json()
}

/// Read of an Image whose stored state is `state`, with `state` as its
/// inputs too, against `fakes`.
async fn read_image(fakes: &Fakes, state: &PropertyMap) -> Refreshed {
    let dir = tempfile::tempdir().unwrap();
    let provider = fakes.provider(dir.path());
    IMAGE
        .read(&provider, "my-image", state, Some(state))
        .await
        .expect("Read answers")
}

#[tokio::test]
async fn read_keeps_an_image_whose_tags_still_hold_its_digest() {
    let fakes = Fakes::default();
    fakes.registry.answering(Presence::Found(None));
    let state = image_state(&[TAG]);
    let refreshed = read_image(&fakes, &state).await;
    assert_eq!(refreshed.id, "my-image");
    assert_eq!(json_of(&refreshed.state)["tags"], json!([TAG]));
    assert_eq!(
        fakes.registry.heads(),
        [format!("{TAG}@{DIGEST}")],
        "the digest under the tag's repository"
    );
}

#[tokio::test]
async fn read_keeps_the_state_when_the_registry_cannot_say() {
    // Stands in for ECR's expired token (403) and any outage.
    let fakes = Fakes::default();
    fakes
        .registry
        .answering(Presence::Unknown("authorization token has expired".into()));
    let state = image_state(&[TAG, "r.example/app:2"]);
    let refreshed = read_image(&fakes, &state).await;
    assert_eq!(
        refreshed.id, "my-image",
        "never forgotten on an indefinite answer"
    );
    assert_eq!(refreshed.state, state);
    assert_eq!(refreshed.inputs.as_ref(), Some(&state));
}

#[tokio::test]
async fn read_forgets_an_image_only_when_every_tag_is_gone() {
    let fakes = Fakes::default();
    fakes.registry.answering(Presence::Missing);
    let refreshed = read_image(&fakes, &image_state(&[TAG])).await;
    assert_eq!(refreshed.id, "", "a definite 404: the image is gone");

    // One of two tags gone: the state and the inputs keep the other.
    let fakes = Fakes::default();
    fakes
        .registry
        .answering(Presence::Missing)
        .answering_for(&format!("r.example/app@{DIGEST}"), Presence::Found(None));
    let refreshed = read_image(&fakes, &image_state(&[TAG, "r.example/app:2"])).await;
    assert_eq!(refreshed.id, "my-image");
    assert_eq!(
        json_of(&refreshed.state)["tags"],
        json!(["r.example/app:2"])
    );
    let inputs = refreshed.inputs.expect("inputs refreshed too");
    assert_eq!(json_of(&inputs)["tags"], json!(["r.example/app:2"]));
}

#[tokio::test]
async fn read_asks_nothing_of_an_image_never_pushed() {
    let fakes = Fakes::default();
    let mut state = image_state(&[TAG]);
    state.insert("push".into(), Value::Bool(false));
    let refreshed = read_image(&fakes, &state).await;
    assert_eq!(refreshed.id, "my-image");
    assert!(fakes.registry.heads().is_empty());
}

#[tokio::test]
async fn read_in_ecr_asks_for_a_fresh_token() {
    let ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let fakes = Fakes::default();
    fakes.registry.answering(Presence::Found(None));
    let tag = format!("{ecr}/app:1");
    read_image(&fakes, &image_state(&[&tag])).await;
    assert_eq!(fakes.ecr.tokens(), [ecr], "stored tokens have expired");

    // Without AWS credentials the state stays as it was.
    let fakes = Fakes::default();
    fakes.ecr.without_credentials();
    let state = image_state(&[&tag]);
    let refreshed = read_image(&fakes, &state).await;
    assert_eq!(
        (refreshed.id.as_str(), &refreshed.state),
        ("my-image", &state)
    );
    assert!(fakes.registry.heads().is_empty());
}

/// The deletions Delete asks of the registry for an Image's `state`.
async fn image_deletions(fakes: &Fakes, state: serde_json::Value) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let provider = fakes.provider(dir.path());
    IMAGE
        .delete(&provider, &map_from_json(state))
        .await
        .expect("an Image's Delete is best effort");
    fakes.registry.deletes()
}

fn stored(tags: &[&str]) -> serde_json::Value {
    json_of(&image_state(tags))
}

#[tokio::test]
async fn delete_removes_the_digest_once_per_repository() {
    let deleted = image_deletions(
        &Fakes::default(),
        stored(&[TAG, &format!("{TAG}:latest"), "r.example/app:1"]),
    )
    .await;
    assert_eq!(
        deleted,
        [format!("{TAG}@{DIGEST}"), format!("r.example/app@{DIGEST}")]
    );
}

#[tokio::test]
async fn delete_of_an_image_already_gone_or_out_of_reach_succeeds() {
    for answer in [Deletion::AlreadyGone, Deletion::Failed("503".into())] {
        let fakes = Fakes::default();
        fakes.registry.deleting(answer.clone());
        let deleted = image_deletions(&fakes, stored(&[TAG])).await;
        assert_eq!(deleted, [format!("{TAG}@{DIGEST}")], "{answer:?}");
    }
}

#[tokio::test]
async fn delete_leaves_a_digest_other_tags_still_hold() {
    let fakes = Fakes::default();
    fakes.registry.tagged(&["latest", "someone-elses"]);
    let deleted = image_deletions(&fakes, stored(&[TAG])).await;
    assert!(deleted.is_empty(), "{deleted:?}");
}

#[tokio::test]
async fn delete_touches_nothing_for_an_image_never_pushed_or_unreadable() {
    let mut unpushed = stored(&[TAG]);
    unpushed["digest"] = json!("");
    assert!(
        image_deletions(&Fakes::default(), unpushed)
            .await
            .is_empty()
    );
    let mut unreadable = stored(&[TAG]);
    unreadable["tags"] = json!(["Not A Tag"]);
    assert!(
        image_deletions(&Fakes::default(), unreadable)
            .await
            .is_empty()
    );
}

const INDEX_TAG: &str = "docker.io/pulumi/test:manifest";

fn index_state() -> PropertyMap {
    map_from_json(json!({
        "tag": INDEX_TAG,
        "sources": [format!("docker.io/pulumi/test@{DIGEST}")],
        "push": true,
        "ref": format!("{INDEX_TAG}@{DIGEST}"),
    }))
}

async fn read_index(fakes: &Fakes) -> Refreshed {
    let dir = tempfile::tempdir().unwrap();
    let provider = fakes.provider(dir.path());
    let state = index_state();
    INDEX
        .read(&provider, INDEX_TAG, &state, Some(&state))
        .await
        .expect("Read answers")
}

#[tokio::test]
async fn an_index_read_follows_its_tag() {
    let moved = format!("sha256:{}", "c".repeat(64));
    let fakes = Fakes::default();
    fakes
        .registry
        .answering(Presence::Found(Some(moved.clone())));
    let refreshed = read_index(&fakes).await;
    assert_eq!(refreshed.id, INDEX_TAG);
    assert_eq!(
        json_of(&refreshed.state)["ref"],
        format!("{INDEX_TAG}@{moved}")
    );
    assert_eq!(fakes.registry.heads(), [INDEX_TAG]);

    let fakes = Fakes::default();
    fakes.registry.answering(Presence::Unknown("401".into()));
    let refreshed = read_index(&fakes).await;
    assert_eq!(
        (refreshed.id.as_str(), &refreshed.state),
        (INDEX_TAG, &index_state())
    );

    let fakes = Fakes::default();
    fakes.registry.answering(Presence::Missing);
    assert_eq!(read_index(&fakes).await.id, "", "the tag is gone");
}

#[tokio::test]
async fn an_index_already_deleted_deletes_cleanly() {
    let fakes = Fakes::default();
    fakes.registry.deleting(Deletion::AlreadyGone);
    let dir = tempfile::tempdir().unwrap();
    let provider = fakes.provider(dir.path());
    INDEX
        .delete(&provider, &index_state())
        .await
        .expect("404 counts as deleted");
    assert_eq!(fakes.registry.deletes(), [format!("{INDEX_TAG}@{DIGEST}")]);
    assert!(
        fakes.ecr.tokens().is_empty(),
        "Docker Hub needs no ECR token"
    );
}

/// The deletions an Index's Delete asks of the registry for `state`.
async fn index_deletions(state: serde_json::Value) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::default();
    let provider = fakes.provider(dir.path());
    INDEX
        .delete(&provider, &map_from_json(state))
        .await
        .expect("an Index's Delete is best effort");
    assert!(fakes.builder.calls().is_empty(), "an Index builds nothing");
    fakes.registry.deletes()
}

#[tokio::test]
async fn delete_removes_the_pushed_index_by_its_stored_ref() {
    let digest = format!("sha256:{}", "a".repeat(64));
    let deleted = index_deletions(json!({
        "tag": "127.0.0.1:5000/idx:1",
        "sources": ["127.0.0.1:5000/a:1"],
        "push": true,
        "ref": format!("127.0.0.1:5000/idx:1@{digest}"),
    }))
    .await;
    assert_eq!(deleted, [format!("127.0.0.1:5000/idx:1@{digest}")]);
}

#[tokio::test]
async fn bad_stored_state_leaves_the_index_and_fails_nothing() {
    let deleted = index_deletions(json!({
        "tag": "127.0.0.1:5000/idx:1",
        "sources": ["127.0.0.1:5000/a:1"],
        "push": true,
        "ref": "Not A Reference@@",
    }))
    .await;
    assert!(deleted.is_empty(), "{deleted:?}");
}

#[tokio::test]
async fn an_index_never_pushed_deletes_nothing() {
    let deleted = index_deletions(json!({
        "tag": "127.0.0.1:5000/idx:1",
        "sources": ["127.0.0.1:5000/a:1"],
        "push": false,
        "ref": "127.0.0.1:5000/idx:1",
    }))
    .await;
    assert!(deleted.is_empty(), "{deleted:?}");
}
