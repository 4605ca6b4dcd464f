//! Diff after the files change: a stack whose state holds the official
//! provider's hash of each context as it was, then an edit, then both
//! providers asked whether the image changed.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use serde_json::json;

use super::{Pair, official_image_state};
use crate::harness::IMAGE;
use crate::over_grpc::migration::write;

/// A context: a Dockerfile, files at two depths, a script, a symlink, and
/// a file its `.dockerignore` leaves out.
fn context(root: &Path) {
    write(&root.join("Dockerfile"), "FROM scratch\nCOPY . /\n", 0o644);
    write(&root.join(".dockerignore"), "ignored.txt\n", 0o644);
    write(&root.join("ignored.txt"), "left out\n", 0o644);
    write(&root.join("a.txt"), "a\n", 0o644);
    write(&root.join("dir/b.txt"), "b\n", 0o644);
    write(&root.join("run.sh"), "#!/bin/sh\n", 0o755);
    symlink("a.txt", root.join("link")).unwrap();
}

/// What a case expects.
#[derive(Clone, Copy)]
enum Expect {
    /// Both answer alike.
    Same,
    /// The official provider sees a change where this one, on purpose,
    /// sees none; the `&str` says why.
    NoRebuild(&'static str),
}

type Edit = fn(&Path);

fn edits() -> Vec<(&'static str, Edit, Expect)> {
    use Expect::*;
    vec![
        ("nothing", |_| {}, Same),
        (
            "a file's content",
            |r| fs::write(r.join("a.txt"), "edited\n").unwrap(),
            Same,
        ),
        (
            "a new file",
            |r| fs::write(r.join("c.txt"), "c\n").unwrap(),
            Same,
        ),
        (
            "a file removed",
            |r| fs::remove_file(r.join("dir/b.txt")).unwrap(),
            Same,
        ),
        (
            "the ignored file",
            |r| fs::write(r.join("ignored.txt"), "still out\n").unwrap(),
            Same,
        ),
        (
            "the Dockerfile",
            |r| fs::write(r.join("Dockerfile"), "FROM scratch\nCOPY a.txt /\n").unwrap(),
            Same,
        ),
        (
            "the .dockerignore",
            |r| fs::write(r.join(".dockerignore"), "a.txt\n").unwrap(),
            Same,
        ),
        (
            "a symlink retargeted",
            |r| {
                fs::remove_file(r.join("link")).unwrap();
                symlink("dir/b.txt", r.join("link")).unwrap();
            },
            Same,
        ),
        (
            "the executable bit",
            |r| fs::set_permissions(r.join("run.sh"), fs::Permissions::from_mode(0o644)).unwrap(),
            Same,
        ),
        (
            "a file touched",
            |r| {
                let file = fs::File::options()
                    .write(true)
                    .open(r.join("a.txt"))
                    .unwrap();
                file.set_modified(
                    std::time::SystemTime::now() + std::time::Duration::from_secs(60),
                )
                .unwrap();
            },
            Same,
        ),
        (
            "group write on a file",
            |r| fs::set_permissions(r.join("a.txt"), fs::Permissions::from_mode(0o664)).unwrap(),
            NoRebuild(
                "group and other bits follow the checkout's umask, not the image (the official provider's #222, #358)",
            ),
        ),
    ]
}

#[tokio::test]
async fn an_edit_changes_the_image_as_it_does_for_the_official_provider() {
    let program = tempfile::tempdir().unwrap();
    let mut pair = Pair::start(program.path()).await;
    let mut differences = Vec::new();
    for (i, (name, edit, expect)) in edits().into_iter().enumerate() {
        let location = format!("case-{i}");
        let root = program.path().join(&location);
        context(&root);
        let hash = crate::over_grpc::migration::official_hash(
            Some(&root.join("Dockerfile")),
            &[&root],
            &["ignored.txt"],
        );
        let inputs =
            json!({"push": false, "tags": ["r.example/app:1"], "context": {"location": location}});
        let old_inputs = pair.official.on(&IMAGE).checked(inputs.clone()).await;
        let state = official_image_state(crate::harness::from_struct(&old_inputs), &hash);
        edit(&root);
        let answers = pair.diff_both(&IMAGE, &state, &old_inputs, &inputs).await;
        let agreed = match expect {
            Expect::Same => answers[0] == answers[1],
            Expect::NoRebuild(_) => answers[0].2.is_empty() && answers[1].2 == ["contextHash"],
        };
        if !agreed {
            let expected = match expect {
                Expect::Same => "the same answer".to_owned(),
                Expect::NoRebuild(why) => format!("no rebuild here ({why})"),
            };
            differences.push(format!(
                "{name}, expected {expected}: ours {:?}, official {:?}",
                answers[0], answers[1]
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
