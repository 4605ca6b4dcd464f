use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, content).unwrap();
    }
    dir
}

fn hash_of(dir: &Path) -> String {
    let sources = ContextSources {
        dockerfile: Some(dir.join("Dockerfile")),
        main: Some(LocalContext::open(dir.to_path_buf(), None).unwrap()),
        named: Vec::new(),
    };
    hash_context(&sources).unwrap()
}

const BASE: &[(&str, &str)] = &[
    ("Dockerfile", "FROM scratch\n"),
    ("app/main.py", "print(1)\n"),
    ("README.md", "hi\n"),
];

#[test]
fn content_change_matters() {
    let dir = tree(BASE);
    let before = hash_of(dir.path());
    fs::write(dir.path().join("app/main.py"), "print(2)\n").unwrap();
    assert_ne!(before, hash_of(dir.path()));
}

#[test]
fn dockerfile_change_matters_even_when_ignored() {
    let dir = tree(&[
        ("Dockerfile", "FROM scratch\n"),
        (".dockerignore", "Dockerfile\n"),
    ]);
    let before = hash_of(dir.path());
    fs::write(dir.path().join("Dockerfile"), "FROM scratch\nENV A=1\n").unwrap();
    assert_ne!(before, hash_of(dir.path()));
}

#[test]
fn mtime_only_change_does_not_matter() {
    let dir = tree(BASE);
    let before = hash_of(dir.path());
    let file = fs::File::options()
        .write(true)
        .open(dir.path().join("app/main.py"))
        .unwrap();
    file.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
    )
    .unwrap();
    assert_eq!(before, hash_of(dir.path()));
}

#[test]
fn group_and_other_mode_bits_dont_matter() {
    let dir = tree(BASE);
    let file = dir.path().join("app/main.py");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let before = hash_of(dir.path());
    // `chmod g+w` and other umask-dependent bits.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o664)).unwrap();
    assert_eq!(before, hash_of(dir.path()));
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(before, hash_of(dir.path()));
}

#[test]
fn executable_bit_matters() {
    let dir = tree(BASE);
    let before = hash_of(dir.path());
    let file = dir.path().join("app/main.py");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
    assert_ne!(before, hash_of(dir.path()));
}

#[test]
fn renaming_matters() {
    let dir = tree(BASE);
    let before = hash_of(dir.path());
    fs::rename(
        dir.path().join("app/main.py"),
        dir.path().join("app/main2.py"),
    )
    .unwrap();
    assert_ne!(before, hash_of(dir.path()));
}

#[test]
fn ignored_file_change_does_not_matter() {
    let dir = tree(&[
        ("Dockerfile", "FROM scratch\n"),
        (".dockerignore", "*.log\nnode_modules\n"),
        ("a.log", "1"),
        ("node_modules/x/i.js", "1"),
    ]);
    let before = hash_of(dir.path());
    fs::write(dir.path().join("a.log"), "2").unwrap();
    fs::write(dir.path().join("node_modules/x/i.js"), "2").unwrap();
    fs::write(dir.path().join("b.log"), "new").unwrap();
    assert_eq!(before, hash_of(dir.path()));
    fs::write(dir.path().join("b.txt"), "new").unwrap();
    assert_ne!(before, hash_of(dir.path()));
}

#[test]
fn re_included_file_below_excluded_directory_matters() {
    let dir = tree(&[
        ("Dockerfile", "x"),
        (".dockerignore", "vendor\n!vendor/keep.txt\n"),
        ("vendor/keep.txt", "1"),
        ("vendor/drop.txt", "1"),
    ]);
    let before = hash_of(dir.path());
    fs::write(dir.path().join("vendor/drop.txt"), "2").unwrap();
    assert_eq!(before, hash_of(dir.path()));
    fs::write(dir.path().join("vendor/keep.txt"), "2").unwrap();
    assert_ne!(before, hash_of(dir.path()));
}

#[test]
fn dockerfile_specific_ignore_file_is_preferred() {
    let dir = tree(&[
        ("Dockerfile", "x"),
        (".dockerignore", "a.txt\n"),
        ("Dockerfile.dockerignore", "b.txt\n"),
        ("a.txt", "1"),
        ("b.txt", "1"),
    ]);
    let dockerfile = dir.path().join("Dockerfile");
    let ignore = PathBuf::from(format!("{}.dockerignore", dockerfile.display()));
    let hash = |dir: &Path| {
        hash_context(&ContextSources {
            dockerfile: Some(dockerfile.clone()),
            main: Some(LocalContext::open(dir.to_path_buf(), Some(&ignore)).unwrap()),
            named: Vec::new(),
        })
        .unwrap()
    };
    let before = hash(dir.path());
    fs::write(dir.path().join("b.txt"), "2").unwrap();
    assert_eq!(
        before,
        hash(dir.path()),
        "b.txt is ignored by Dockerfile.dockerignore"
    );
    fs::write(dir.path().join("a.txt"), "2").unwrap();
    assert_ne!(
        before,
        hash(dir.path()),
        "the generic .dockerignore is not used"
    );
}

#[test]
fn symlink_target_is_hashed_not_followed() {
    let dir = tree(&[("Dockerfile", "x"), ("real.txt", "1"), ("other.txt", "1")]);
    symlink("real.txt", dir.path().join("link")).unwrap();
    let before = hash_of(dir.path());
    fs::write(dir.path().join("real.txt"), "changed").unwrap();
    let after_content = hash_of(dir.path());
    assert_ne!(before, after_content, "real.txt itself changed");
    fs::remove_file(dir.path().join("link")).unwrap();
    symlink("other.txt", dir.path().join("link")).unwrap();
    assert_ne!(
        after_content,
        hash_of(dir.path()),
        "retargeting the link matters"
    );
}

#[test]
fn named_contexts_use_their_own_ignore_rules() {
    let main = tree(&[("Dockerfile", "x")]);
    let named = tree(&[
        (".dockerignore", "skip.txt\n"),
        ("skip.txt", "1"),
        ("keep.txt", "1"),
    ]);
    let hash = || {
        hash_context(&ContextSources {
            dockerfile: Some(main.path().join("Dockerfile")),
            main: Some(LocalContext::open(main.path().to_path_buf(), None).unwrap()),
            named: vec![(
                "lib".into(),
                LocalContext::open(named.path().to_path_buf(), None).unwrap(),
            )],
        })
        .unwrap()
    };
    let before = hash();
    fs::write(named.path().join("skip.txt"), "2").unwrap();
    assert_eq!(before, hash());
    fs::write(named.path().join("keep.txt"), "2").unwrap();
    assert_ne!(before, hash());
}

#[test]
fn same_tree_in_two_places_hashes_the_same() {
    let a = tree(BASE);
    let b = tree(BASE);
    assert_eq!(hash_of(a.path()), hash_of(b.path()));
}

#[test]
fn unreadable_file_is_an_error_not_an_empty_hash() {
    let dir = tree(BASE);
    let sources = ContextSources {
        dockerfile: Some(dir.path().join("missing/Dockerfile")),
        main: Some(LocalContext::open(dir.path().to_path_buf(), None).unwrap()),
        named: Vec::new(),
    };
    let err = hash_context(&sources).unwrap_err();
    assert!(err.path.ends_with("missing/Dockerfile"), "{err}");
}
