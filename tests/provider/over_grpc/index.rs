//! The Index resource against the real registry: create from two pushed
//! images (one per platform), a preview, a refresh, an update of its
//! sources, delete, and delete again (404 counts as deleted).

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{INDEX, Session, from_struct, registry, require_engine, to_struct, unique};
use crate::registry_kit::index_platforms;

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
    let bad = (session.on(&INDEX))
        .check(json!({"tag": tag, "sources": [amd64, "Not A Ref"]}))
        .await;
    assert_eq!(bad.failures.len(), 1, "{:?}", bad.failures);
    assert_eq!(bad.failures[0].property, "sources[1]");
    let inputs = (session.on(&INDEX))
        .checked(json!({"tag": tag, "sources": [amd64, i386]}))
        .await;
    assert_eq!(from_struct(&inputs)["push"], json!(true));

    let previewed = session.on(&INDEX).create(&inputs, true).await.unwrap();
    assert!(
        index_platforms(&repository, "multi").await.is_none(),
        "a preview pushes nothing"
    );
    assert_eq!(
        from_struct(previewed.properties.as_ref().unwrap())["ref"],
        json!("$unknown")
    );

    let created = (session.on(&INDEX))
        .create(&inputs, false)
        .await
        .expect("index created");
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
    let refreshed = session.on(&INDEX).read(&tag, &state).await.unwrap();
    assert_eq!(refreshed.id, tag);
    assert_eq!(
        from_struct(refreshed.properties.as_ref().unwrap())["ref"],
        json!(reference)
    );

    // New sources: an update in place, not a replacement.
    let fewer = (session.on(&INDEX))
        .checked(json!({"tag": tag, "sources": [amd64]}))
        .await;
    let diff = (session.on(&INDEX))
        .diff(&tag, &from_struct(&state), &from_struct(&fewer))
        .await
        .unwrap();
    assert_eq!(diff.diffs, ["sources"]);
    assert!(diff.replaces.is_empty());
    let updated = (session.on(&INDEX))
        .update(&tag, &state, &fewer, false)
        .await
        .expect("updated");
    let state = updated.properties.unwrap();
    assert_eq!(
        index_platforms(&repository, "multi").await.unwrap(),
        ["plan9/amd64"]
    );

    // Delete, then delete again: the second finds nothing and is fine.
    for _ in 0..2 {
        (session.on(&INDEX))
            .delete(&tag, &state)
            .await
            .expect("deleted");
    }
    assert!(index_platforms(&repository, "multi").await.is_none());
    // And a refresh now says it is gone.
    let refreshed = session.on(&INDEX).read(&tag, &state).await.unwrap();
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
    let refreshed = session.on(&INDEX).read(&tag, &state).await.unwrap();
    assert_eq!(refreshed.id, tag, "kept, not dropped");
    assert_eq!(refreshed.properties, Some(state));
    let warning = session
        .logs
        .wait_for(|l| l.message.contains("keeping the stored state"))
        .await;
    assert_eq!(warning.severity, pb::LogSeverity::Warning as i32);
}
