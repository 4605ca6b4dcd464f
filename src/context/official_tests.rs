//! The official hash, checked against the byte stream the official
//! `hashBuildContext` writes, spelled out by hand for small trees.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use sha2::{Digest, Sha256};

use super::*;

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn digest(stream: &[u8]) -> String {
    hex(&Sha256::digest(stream))
}

fn sources(root: &Path, dockerfile: Option<&str>) -> OfficialSources {
    let ignore = IgnoreRules::load(&root.join(".dockerignore")).unwrap();
    OfficialSources {
        dockerfile: dockerfile.map(|d| root.join(d)),
        main: Some((root.to_path_buf(), ignore)),
        named: Vec::new(),
    }
}

#[test]
fn mode_strings_are_gos() {
    assert_eq!(go_mode_string(0o644, false), "-rw-r--r--");
    assert_eq!(go_mode_string(0o755, false), "-rwxr-xr-x");
    assert_eq!(go_mode_string(0o777, true), "Lrwxrwxrwx");
    assert_eq!(go_mode_string(0o4755, false), "urwxr-xr-x");
    assert_eq!(go_mode_string(0o1777, false), "trwxrwxrwx");
}

#[test]
fn the_stream_is_dockerfile_then_files_in_go_walk_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("Dockerfile"), "FROM scratch\n").unwrap();
    fs::create_dir(root.join("a")).unwrap();
    fs::write(root.join("a/b"), "inner").unwrap();
    fs::write(root.join("a.txt"), "outer").unwrap();
    fs::write(root.join("run.sh"), "#!/bin/sh\n").unwrap();
    for file in ["Dockerfile", "a/b", "a.txt"] {
        chmod(&root.join(file), 0o644);
    }
    chmod(&root.join("run.sh"), 0o755);
    // Depth first with names sorted: `a/b` before `a.txt`, although
    // sorting whole paths would put `a.txt` first.
    let mut expected = Vec::new();
    expected.extend_from_slice(b"FROM scratch\n");
    for (bytes, path, mode) in [
        (&b"FROM scratch\n"[..], "Dockerfile", "-rw-r--r--"),
        (b"inner", "a/b", "-rw-r--r--"),
        (b"outer", "a.txt", "-rw-r--r--"),
        (b"#!/bin/sh\n", "run.sh", "-rwxr-xr-x"),
    ] {
        expected.extend_from_slice(bytes);
        expected.extend_from_slice(path.as_bytes());
        expected.extend_from_slice(mode.as_bytes());
    }
    let hashed = sources(root, Some("Dockerfile")).hash(false).unwrap();
    assert_eq!(hashed, digest(&expected));
}

#[test]
fn links_count_their_targets_bytes_and_links_to_directories_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("real"), "data").unwrap();
    chmod(&root.join("real"), 0o644);
    symlink("real", root.join("link")).unwrap();
    fs::create_dir(root.join("sub")).unwrap();
    symlink("sub", root.join("dirlink")).unwrap();
    fs::write(root.join(".dockerignore"), "sub\n").unwrap();
    chmod(&root.join(".dockerignore"), 0o600);
    let mut expected = Vec::new();
    for (bytes, path, mode) in [
        (&b"sub\n"[..], ".dockerignore", "-rw-------"),
        (b"data", "link", "Lrwxrwxrwx"),
        (b"data", "real", "-rw-r--r--"),
    ] {
        expected.extend_from_slice(bytes);
        expected.extend_from_slice(path.as_bytes());
        expected.extend_from_slice(mode.as_bytes());
    }
    assert_eq!(sources(root, None).hash(false).unwrap(), digest(&expected));
}

#[test]
fn named_contexts_follow_the_main_one_by_name_with_either_rules() {
    let (main, named) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fs::write(main.path().join(".dockerignore"), "skip\n").unwrap();
    chmod(&main.path().join(".dockerignore"), 0o644);
    fs::write(named.path().join("skip"), "x").unwrap();
    chmod(&named.path().join("skip"), 0o644);
    let mut official = sources(main.path(), None);
    official.named.push((
        "lib".into(),
        named.path().to_path_buf(),
        IgnoreRules::default(),
    ));
    let main_part = b"skip\n.dockerignore-rw-r--r--".to_vec();
    let mut own = main_part.clone();
    own.extend_from_slice(b"xskip-rw-r--r--");
    assert_eq!(official.hash(false).unwrap(), digest(&own));
    assert_eq!(official.hash(true).unwrap(), digest(&main_part));
    assert!(
        official.produced(&digest(&own)).unwrap()
            && official.produced(&digest(&main_part)).unwrap()
    );
}

#[test]
fn a_match_is_remembered_across_processes_and_only_for_the_same_tree() {
    let (tree, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fs::write(tree.path().join("f"), "1").unwrap();
    let official = sources(tree.path(), None);
    let stored = official.hash(false).unwrap();
    let memo = OfficialMemo::new(Some(cache.path().to_path_buf()));
    assert!(memo.matches(&stored, "ours-1", || Ok(official.clone())));
    // A new process trusts the memo without reading: even with the file
    // gone, our unchanged hash says the tree is the one that matched.
    fs::remove_file(tree.path().join("f")).unwrap();
    let later = OfficialMemo::new(Some(cache.path().to_path_buf()));
    assert!(later.matches(&stored, "ours-1", || panic!("the memo answers")));
    assert!(
        !later.matches(&stored, "ours-2", || Ok(official.clone())),
        "another tree of ours is computed again, and no longer matches"
    );
    assert!(!later.matches("../escape", "ours-1", || Ok(official.clone())));
}
