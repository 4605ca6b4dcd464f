//! The Index resource against the real registry: create from two pushed
//! images (one per platform), a preview, a refresh, an update of its
//! sources, delete, and delete again (404 counts as deleted).

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{Session, from_struct, registry, require_engine, to_struct, unique};
use crate::registry_kit::index_platforms;

const URN: &str = "urn:pulumi:dev::proj::docker-build:index:Index::idx";
const TYPE: &str = "docker-build:index:Index";

async fn check(session: &mut Session, news: serde_json::Value) -> pb::CheckResponse {
    session
        .client
        .check(pb::CheckRequest {
            urn: URN.into(),
            r#type: TYPE.into(),
            news: Some(to_struct(&news)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// Pushes a one-platform image of `repository` and returns its `ref`.
async fn pushed_image(session: &mut Session, repository: &str, platform: &str) -> String {
    let tag = format!("{}/{repository}:{}", registry(), platform.replace('/', "-"));
    let inputs = session
        .checked(json!({"push": true, "tags": [tag], "platforms": [platform], "autoCache": false}))
        .await;
    let created = session.create(&inputs, false).await.expect("image pushed");
    from_struct(created.properties.as_ref().unwrap())["ref"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_index_joins_pushed_images_and_follows_them_through_its_lifecycle() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY app.txt /app.txt\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.txt"), unique("index")).unwrap();
    let repository = unique("index");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let amd64 = pushed_image(&mut session, &repository, "plan9/amd64").await;
    let i386 = pushed_image(&mut session, &repository, "plan9/386").await;
    let tag = format!("{}/{repository}:multi", registry());

    // Check fills the default and names a bad source.
    let bad = check(
        &mut session,
        json!({"tag": tag, "sources": [amd64, "Not A Ref"]}),
    )
    .await;
    assert_eq!(bad.failures.len(), 1, "{:?}", bad.failures);
    assert_eq!(bad.failures[0].property, "sources[1]");
    let checked = check(&mut session, json!({"tag": tag, "sources": [amd64, i386]})).await;
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let inputs = checked.inputs.unwrap();
    assert_eq!(from_struct(&inputs)["push"], json!(true));

    let create = |preview: bool| pb::CreateRequest {
        urn: URN.into(),
        r#type: TYPE.into(),
        name: "idx".into(),
        properties: Some(inputs.clone()),
        preview,
        ..Default::default()
    };
    let previewed = session
        .client
        .create(create(true))
        .await
        .unwrap()
        .into_inner();
    assert!(
        index_platforms(&repository, "multi").await.is_none(),
        "a preview pushes nothing"
    );
    assert_eq!(
        from_struct(previewed.properties.as_ref().unwrap())["ref"],
        json!("$unknown")
    );

    let created = session
        .client
        .create(create(false))
        .await
        .expect("index created")
        .into_inner();
    assert_eq!(created.id, tag);
    let state = created.properties.unwrap();
    let reference = from_struct(&state)["ref"].as_str().unwrap().to_owned();
    assert!(
        reference.starts_with(&format!("{tag}@sha256:")),
        "{reference}"
    );
    assert_eq!(
        index_platforms(&repository, "multi").await.unwrap(),
        ["plan9/amd64", "plan9/386"]
    );

    // Refresh: unchanged.
    let read = |state: prost_types::Struct| pb::ReadRequest {
        id: tag.clone(),
        urn: URN.into(),
        r#type: TYPE.into(),
        properties: Some(state),
        ..Default::default()
    };
    let refreshed = session
        .client
        .read(read(state.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refreshed.id, tag);
    assert_eq!(
        from_struct(refreshed.properties.as_ref().unwrap())["ref"],
        json!(reference)
    );

    // New sources: an update in place, not a replacement.
    let fewer = check(&mut session, json!({"tag": tag, "sources": [amd64]}))
        .await
        .inputs
        .unwrap();
    let diff = session
        .client
        .diff(pb::DiffRequest {
            id: tag.clone(),
            urn: URN.into(),
            r#type: TYPE.into(),
            olds: Some(state.clone()),
            news: Some(fewer.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(diff.diffs, ["sources"]);
    assert!(diff.replaces.is_empty());
    let updated = session
        .client
        .update(pb::UpdateRequest {
            id: tag.clone(),
            urn: URN.into(),
            r#type: TYPE.into(),
            olds: Some(state.clone()),
            news: Some(fewer),
            ..Default::default()
        })
        .await
        .expect("updated")
        .into_inner();
    let state = updated.properties.unwrap();
    assert_eq!(
        index_platforms(&repository, "multi").await.unwrap(),
        ["plan9/amd64"]
    );

    // Delete, then delete again: the second finds nothing and is fine.
    for _ in 0..2 {
        session
            .client
            .delete(pb::DeleteRequest {
                id: tag.clone(),
                urn: URN.into(),
                r#type: TYPE.into(),
                properties: Some(state.clone()),
                ..Default::default()
            })
            .await
            .expect("deleted");
    }
    assert!(index_platforms(&repository, "multi").await.is_none());
    // And a refresh now says it is gone.
    let refreshed = session.client.read(read(state)).await.unwrap().into_inner();
    assert!(refreshed.id.is_empty(), "gone after delete");
}

#[tokio::test]
async fn refresh_keeps_an_index_the_registry_will_not_show() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    // The htpasswd registry answers 401 without a login: refresh cannot
    // tell whether the index exists, so the state stays as it was.
    let tag = format!(
        "{}/{}:multi",
        crate::harness::locked_registry(),
        unique("locked")
    );
    let state = to_struct(&json!({
        "tag": tag,
        "sources": [format!("{tag}-a")],
        "push": true,
        "ref": format!("{tag}@sha256:{}", "a".repeat(64)),
    }));
    let refreshed = session
        .client
        .read(pb::ReadRequest {
            id: tag.clone(),
            urn: URN.into(),
            r#type: TYPE.into(),
            properties: Some(state.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refreshed.id, tag, "kept, not dropped");
    assert_eq!(refreshed.properties, Some(state));
    let warning = session
        .logs
        .wait_for(|l| l.message.contains("keeping the stored state"))
        .await;
    assert_eq!(warning.severity, pb::LogSeverity::Warning as i32);
}
