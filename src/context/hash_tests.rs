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
        only: None,
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
            only: None,
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
            only: None,
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
        only: None,
    };
    let err = hash_context(&sources).unwrap_err();
    assert!(err.path.ends_with("missing/Dockerfile"), "{err}");
}

/// A fresh hasher each call: a new provider process, same cache directory.
fn run(dir: &Path, cache: &Path, threads: usize) -> (String, HashStats) {
    let sources = ContextSources {
        dockerfile: Some(dir.join("Dockerfile")),
        main: Some(LocalContext::open(dir.to_path_buf(), None).unwrap()),
        only: None,
        named: Vec::new(),
    };
    ContextHasher::new(threads, Some(cache.to_path_buf()))
        .hash(&sources)
        .unwrap()
}

fn many_files(count: usize) -> tempfile::TempDir {
    let files: Vec<(String, String)> = (0..count)
        .map(|i| {
            (
                format!("d{}/f{i}.txt", i % 7),
                format!("content {i}\n").repeat(i % 13 + 1),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let mut all = vec![("Dockerfile", "FROM scratch\n")];
    all.extend(borrowed);
    tree(&all)
}

#[test]
fn thread_count_does_not_matter() {
    let dir = many_files(300);
    let cache = tempfile::tempdir().unwrap();
    let one = run(dir.path(), &cache.path().join("a"), 1).0;
    let eight = run(dir.path(), &cache.path().join("b"), 8).0;
    assert_eq!(one, eight);
    assert_eq!(one, hash_of(dir.path()), "with or without an index");
}

#[test]
fn copies_made_under_different_umasks_hash_the_same() {
    let a = many_files(50);
    let b = many_files(50);
    for (root, file_mode, dir_mode) in [(a.path(), 0o644, 0o755), (b.path(), 0o600, 0o700)] {
        for entry in std::fs::read_dir(root).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).unwrap().flatten() {
                    fs::set_permissions(inner.path(), fs::Permissions::from_mode(file_mode))
                        .unwrap();
                }
                fs::set_permissions(&path, fs::Permissions::from_mode(dir_mode)).unwrap();
            } else {
                fs::set_permissions(&path, fs::Permissions::from_mode(file_mode)).unwrap();
            }
        }
    }
    assert_eq!(hash_of(a.path()), hash_of(b.path()));
}

#[test]
fn index_spares_reading_unchanged_files() {
    let dir = many_files(100);
    let cache = tempfile::tempdir().unwrap();
    // Files just written are "racy" until a second has passed.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (cold_hash, cold) = run(dir.path(), cache.path(), 2);
    // 100 files and the Dockerfile, which is also hashed on its own.
    assert_eq!((cold.files, cold.from_index), (101, 0));
    assert_eq!(cold.read, 102);
    let (warm_hash, warm) = run(dir.path(), cache.path(), 2);
    assert_eq!(warm_hash, cold_hash);
    assert_eq!(
        (warm.read, warm.from_index, warm.bytes_read),
        (1, 101, 0),
        "only the Dockerfile's own digest is read again"
    );
}

#[test]
fn same_size_change_with_restored_mtime_is_caught_by_ctime() {
    let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("a.txt", "aaaa")]);
    let cache = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    let old_mtime =
        fs::metadata(&file).unwrap().modified().unwrap() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(old_mtime)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (before, _) = run(dir.path(), cache.path(), 1);
    // Same size, and the mtime put back: only ctime tells.
    fs::write(&file, "bbbb").unwrap();
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(old_mtime)
        .unwrap();
    let (after, stats) = run(dir.path(), cache.path(), 1);
    assert_ne!(before, after);
    assert_eq!(
        stats.from_index, 1,
        "only the untouched Dockerfile came from the index"
    );
}

#[test]
fn racy_files_are_hashed_again() {
    let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("a.txt", "1")]);
    let cache = tempfile::tempdir().unwrap();
    run(dir.path(), cache.path(), 1);
    // Written in the same second as the index: not trusted yet.
    let (_, second) = run(dir.path(), cache.path(), 1);
    assert_eq!(second.from_index, 0);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(dir.path(), cache.path(), 1);
    let (_, settled) = run(dir.path(), cache.path(), 1);
    assert_eq!(
        settled.from_index, 2,
        "settled once time has passed (a.txt and the Dockerfile)"
    );
}

#[test]
fn corrupt_index_and_unwritable_cache_still_hash_correctly() {
    let dir = many_files(20);
    let expected = hash_of(dir.path());
    let cache = tempfile::tempdir().unwrap();
    run(dir.path(), cache.path(), 2);
    for entry in std::fs::read_dir(cache.path()).unwrap().flatten() {
        fs::write(entry.path(), b"garbage").unwrap();
    }
    assert_eq!(
        run(dir.path(), cache.path(), 2).0,
        expected,
        "a corrupt index is rebuilt, never trusted"
    );
    // A "directory" that is a file: nothing can be written below it.
    let blocked = cache.path().join("blocked");
    fs::write(&blocked, b"").unwrap();
    assert_eq!(run(dir.path(), &blocked.join("sub"), 2).0, expected);
}

#[test]
fn irregular_files_are_skipped() {
    let dir = tree(BASE);
    let before = hash_of(dir.path());
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(before, hash_of(dir.path()));
}

#[test]
fn one_process_never_reads_a_file_twice() {
    let dir = many_files(30);
    let hasher = ContextHasher::new(2, None);
    let sources = ContextSources {
        dockerfile: None,
        main: Some(LocalContext::open(dir.path().to_path_buf(), None).unwrap()),
        only: None,
        named: Vec::new(),
    };
    let (first, cold) = hasher.hash(&sources).unwrap();
    let (second, warm) = hasher.hash(&sources).unwrap();
    assert_eq!(first, second);
    assert_eq!((cold.read, warm.read), (31, 0));
}

#[test]
fn only_build_sources_count_when_asked() {
    let dir = tree(&[
        ("Dockerfile", "FROM scratch\nCOPY app /app\n"),
        ("app/main.py", "1"),
        ("docs/readme.md", "1"),
    ]);
    let sources = |dir: &Path| ContextSources {
        dockerfile: Some(dir.join("Dockerfile")),
        main: Some(LocalContext::open(dir.to_path_buf(), None).unwrap()),
        only: crate::context::build_sources(&fs::read_to_string(dir.join("Dockerfile")).unwrap())
            .rules(),
        named: Vec::new(),
    };
    let before = hash_context(&sources(dir.path())).unwrap();
    fs::write(dir.path().join("docs/readme.md"), "2").unwrap();
    assert_eq!(
        before,
        hash_context(&sources(dir.path())).unwrap(),
        "outside every COPY source"
    );
    fs::write(dir.path().join("app/main.py"), "2").unwrap();
    assert_ne!(
        before,
        hash_context(&sources(dir.path())).unwrap(),
        "inside one"
    );
}

#[test]
fn concurrent_providers_share_an_index_safely() {
    let dir = many_files(200);
    let cache = tempfile::tempdir().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expected = hash_of(dir.path());
    // Several "providers" writing the same index at once: every write is
    // an atomic replace, so each sees a whole index or none.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..5 {
                    assert_eq!(run(dir.path(), cache.path(), 1).0, expected);
                }
            });
        }
    });
    let (hash, stats) = run(dir.path(), cache.path(), 1);
    assert_eq!(hash, expected);
    assert_eq!(
        stats.from_index, stats.files,
        "the surviving index is whole and trusted"
    );
}

#[test]
fn file_names_that_are_not_utf8_are_hashed_and_told_apart() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[("Dockerfile", "x")]);
    let odd = dir.path().join(OsStr::from_bytes(b"caf\xe9.txt"));
    fs::write(&odd, "1").unwrap();
    let before = hash_of(dir.path());
    fs::write(&odd, "2").unwrap();
    let changed = hash_of(dir.path());
    assert_ne!(before, changed, "its content counts");
    fs::rename(&odd, dir.path().join(OsStr::from_bytes(b"caf\xe8.txt"))).unwrap();
    // Both names read as "caf\u{FFFD}.txt"; the hash still sees the file.
    assert_eq!(
        changed,
        hash_of(dir.path()),
        "lossy names compare by content"
    );
}

/// A monorepo: eight images, each with its own Dockerfile (kept beside
/// the context, as `docker/<image>.Dockerfile`), all built from one context
/// and hashed at the same moment, as the engine plans them.
#[test]
fn eight_images_on_one_context_read_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context");
    for i in 0..2000 {
        let path = context.join(format!("src/{}/{i}.txt", i % 20));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, format!("file {i}\n").repeat(20)).unwrap();
    }
    fs::create_dir(dir.path().join("docker")).unwrap();
    let dockerfile = |image: usize| dir.path().join(format!("docker/{image}.Dockerfile"));
    for image in 0..8 {
        fs::write(
            dockerfile(image),
            format!("FROM scratch\nCOPY src/{image} /\n"),
        )
        .unwrap();
    }
    let sources = |image: usize| ContextSources {
        dockerfile: Some(dockerfile(image)),
        main: Some(LocalContext::open(context.clone(), None).unwrap()),
        named: Vec::new(),
        only: None,
    };
    let alone: Vec<String> = (0..8).map(|i| hash_context(&sources(i)).unwrap()).collect();

    let hasher = ContextHasher::new(2, None);
    let barrier = std::sync::Barrier::new(8);
    let results: Vec<(String, HashStats)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..8)
            .map(|i| {
                let (hasher, barrier, sources) = (&hasher, &barrier, sources(i));
                scope.spawn(move || {
                    barrier.wait();
                    hasher.hash(&sources).unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let hashes: Vec<String> = results.iter().map(|(h, _)| h.clone()).collect();
    assert_eq!(hashes, alone, "equal to hashing each image alone");
    let files_read: usize = results.iter().map(|(_, s)| s.read).sum();
    assert_eq!(
        files_read,
        2000 + 8,
        "the context once, each Dockerfile once"
    );

    fs::write(dockerfile(3), "FROM scratch\nCOPY src/3 /x\n").unwrap();
    let after: Vec<String> = (0..8)
        .map(|i| hasher.hash(&sources(i)).unwrap().0)
        .collect();
    let changed: Vec<usize> = (0..8).filter(|&i| after[i] != hashes[i]).collect();
    assert_eq!(changed, [3], "only the image whose Dockerfile changed");
}
