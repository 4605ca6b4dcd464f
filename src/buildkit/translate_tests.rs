use std::collections::BTreeMap;

use super::*;
use crate::build::{CachePlan, SshAgent};
use crate::model::Reference;
use crate::model::cache::{CacheFrom, CacheTo, RegistryFrom};

const ENGINE: &str = "unix:///run/docker.sock";

fn request(context: &Path) -> BuildRequest {
    BuildRequest {
        mode: Mode::Deploy,
        builder: None,
        context: context.to_string_lossy().into_owned(),
        dockerfile: DockerfileSource::Default,
        tags: vec![Reference::parse("r.example/app:1").unwrap()],
        build_args: BTreeMap::from([("A".into(), "1".into())]),
        labels: BTreeMap::from([("team".into(), "x".into())]),
        platforms: vec!["linux/amd64".into()],
        network: None,
        add_hosts: vec!["db:10.0.0.2".into()],
        target: Some("app".into()),
        ssh: Vec::new(),
        secrets: BTreeMap::from([("token".into(), "s3cret".into())]),
        named_contexts: BTreeMap::new(),
        cache: CachePlan::default(),
        exports: Vec::new(),
        export_names: Vec::new(),
        no_cache: false,
        pull: false,
        push: true,
        load: false,
    }
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_pushed_build_becomes_frontend_attributes_and_an_image_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let solve = solve_for(
        &request(dir.path()),
        dir.path(),
        Daemon::Standalone,
        ENGINE,
        &[],
    )
    .unwrap();
    assert_eq!(
        solve.frontend_attrs,
        attrs(&[
            ("add-hosts", "db=10.0.0.2"),
            ("build-arg:A", "1"),
            ("filename", "Dockerfile"),
            ("label:team", "x"),
            ("platform", "linux/amd64"),
            ("target", "app"),
        ])
    );
    assert_eq!(
        solve.exporters,
        [Entry {
            kind: "image".into(),
            attrs: attrs(&[("name", "r.example/app:1"), ("push", "true")])
        }]
    );
    assert_eq!(solve.session.secrets.get("token").unwrap(), "s3cret");
    assert!(
        matches!(solve.session.dirs.get("context"), Some(LocalDir::Path(p)) if p == dir.path())
    );
    assert!(
        matches!(solve.session.dirs.get("dockerfile"), Some(LocalDir::Path(p)) if p == dir.path())
    );
    assert_eq!(solve.session.shared_key.len(), 32);
}

#[test]
fn the_engines_own_builder_gets_the_moby_exporter_and_prefers_local_images() {
    let dir = tempfile::tempdir().unwrap();
    let mut unpushed = request(dir.path());
    unpushed.push = false;
    let solve = solve_for(&unpushed, dir.path(), Daemon::Moby, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("image-resolve-mode").unwrap(),
        "local"
    );
    assert_eq!(
        solve.exporters,
        [Entry {
            kind: "moby".into(),
            attrs: attrs(&[("name", "r.example/app:1")])
        }]
    );
    // A remote daemon keeps an unpushed, unexported build in its cache.
    let remote = solve_for(&unpushed, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert!(remote.exporters.is_empty());
}

#[test]
fn a_preview_pushes_nothing_and_exports_no_cache() {
    let dir = tempfile::tempdir().unwrap();
    let mut preview = request(dir.path());
    preview.mode = Mode::Preview;
    preview.cache = CachePlan {
        imports: vec![CacheFrom::Registry(RegistryFrom {
            reference: crate::model::Reference::parse("r.example/app:cache").unwrap(),
        })],
        exports: vec![CacheTo::Inline],
    };
    let solve = solve_for(&preview, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert!(solve.exporters.is_empty());
    assert!(solve.cache_exports.is_empty());
    assert_eq!(
        solve.cache_imports,
        [Entry {
            kind: "registry".into(),
            attrs: attrs(&[("ref", "r.example/app:cache")])
        }]
    );
}

#[test]
fn an_inline_dockerfile_is_served_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut inline = request(dir.path());
    inline.dockerfile = DockerfileSource::Inline("FROM scratch\n".into());
    let solve = solve_for(&inline, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("dockerfilekey").unwrap(),
        "dockerfile"
    );
    let Some(LocalDir::File { name, bytes }) = solve.session.dirs.get("dockerfile") else {
        panic!("{:?}", solve.session.dirs);
    };
    assert_eq!(
        (name.as_str(), bytes.as_slice()),
        ("Dockerfile", &b"FROM scratch\n"[..])
    );
}

#[test]
fn named_contexts_are_local_directories_or_passed_through() {
    let dir = tempfile::tempdir().unwrap();
    let mut named = request(dir.path());
    named.named_contexts = BTreeMap::from([
        ("base".into(), "docker-image://alpine:3".into()),
        ("context".into(), dir.path().to_string_lossy().into_owned()),
    ]);
    let solve = solve_for(&named, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("context:base").unwrap(),
        "docker-image://alpine:3"
    );
    assert_eq!(
        solve.frontend_attrs.get("context:context").unwrap(),
        "local:_context"
    );
    assert!(solve.session.dirs.contains_key("_context"));
}

#[test]
fn what_buildx_refuses_is_refused_naming_the_property() {
    let dir = tempfile::tempdir().unwrap();
    type Change = Box<dyn Fn(&mut BuildRequest)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "context.location",
            Box::new(|r| r.context = "docker-image://alpine".into()),
        ),
        (
            "buildArgs.BUILDKIT_SYNTAX",
            Box::new(|r| {
                r.build_args.insert("BUILDKIT_SYNTAX".into(), " ".into());
            }),
        ),
        ("(network)", Box::new(|r| r.network = Some("bridge".into()))),
        ("`tags`", Box::new(|r| r.tags.clear())),
        (
            "dockerfile.location",
            Box::new(|r| {
                r.dockerfile = DockerfileSource::Location("https://example.com/Dockerfile".into())
            }),
        ),
        (
            "context.named.base.location",
            Box::new(|r| {
                r.named_contexts
                    .insert("base".into(), "./no-such-directory".into());
            }),
        ),
        (
            "nowhere to go",
            Box::new(|r| r.exports = vec![Export::Raw("type=oci,dest=-".into())]),
        ),
    ];
    for (named, change) in cases {
        let mut changed = request(dir.path());
        change(&mut changed);
        let result = solve_for(&changed, dir.path(), Daemon::Standalone, ENGINE, &[]);
        match result {
            Err(Refused(detail)) => assert!(detail.contains(named), "{named}: {detail}"),
            other => panic!("{named}: {other:?}"),
        }
    }
}

#[test]
fn an_oci_layout_context_is_a_content_store_and_a_pinned_image() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    std::fs::create_dir_all(&layout).unwrap();
    let digest = format!("sha256:{}", "d".repeat(64));
    std::fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{digest}","size":1,"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#
        ),
    )
    .unwrap();
    let mut named = request(dir.path());
    named
        .named_contexts
        .insert("base".into(), "oci-layout://layout:v1".into());
    let solve = solve_for(&named, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs["context:base"],
        format!("oci-layout://context-base:v1@{digest}")
    );
    assert_eq!(solve.session.content_stores["oci:context-base"], layout);

    // By its only image when the tag is not there, as buildx resolves it;
    // a directory that is no layout is refused.
    named
        .named_contexts
        .insert("base".into(), "oci-layout://layout:v2".into());
    assert!(solve_for(&named, dir.path(), Daemon::Standalone, ENGINE, &[]).is_ok());
    named
        .named_contexts
        .insert("base".into(), "oci-layout://elsewhere".into());
    match solve_for(&named, dir.path(), Daemon::Standalone, ENGINE, &[]) {
        Err(Refused(detail)) => assert!(detail.contains("context.named.base.location")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_build_arguments_buildx_acts_on_are_acted_on_as_buildx_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut with_args = request(dir.path());
    for (name, value) in [
        ("BUILDKIT_SYNTAX", "r.example/frontend:1 --flag"),
        ("BUILDKIT_INLINE_CACHE", "1"),
        ("BUILDKIT_MULTI_PLATFORM", "true"),
    ] {
        with_args.build_args.insert(name.into(), value.into());
    }
    let solve = solve_for(&with_args, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(solve.frontend.as_deref(), Some("gateway.v0"));
    let attrs = &solve.frontend_attrs;
    assert_eq!(attrs["source"], "r.example/frontend:1");
    assert_eq!(attrs["cmdline"], "r.example/frontend:1 --flag");
    assert_eq!(attrs["multi-platform"], "true");
    assert_eq!(
        attrs["build-arg:BUILDKIT_INLINE_CACHE"], "1",
        "still an argument"
    );
    assert!(solve.cache_exports.iter().any(|e| e.kind == "inline"));

    with_args
        .build_args
        .insert("BUILDKIT_INLINE_CACHE".into(), "0".into());
    with_args
        .build_args
        .insert("BUILDKIT_MULTI_PLATFORM".into(), "no".into());
    let solve = solve_for(&with_args, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert!(!solve.cache_exports.iter().any(|e| e.kind == "inline"));
    assert!(!solve.frontend_attrs.contains_key("multi-platform"));
}

#[test]
fn ssh_key_files_are_left_for_an_agent_of_the_builds_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut keyed = request(dir.path());
    keyed.ssh.push(SshAgent {
        id: "deploy".into(),
        paths: vec!["keys/id_ed25519".into(), "/etc/hostname".into()],
    });
    let solve = solve_for(&keyed, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.session.ssh_keys["deploy"],
        [
            dir.path().join("keys/id_ed25519"),
            PathBuf::from("/etc/hostname")
        ]
    );
    assert!(solve.session.ssh_agents.is_empty());
}

#[test]
fn a_host_network_asks_for_its_entitlement() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = request(dir.path());
    host.network = Some("host".into());
    let solve = solve_for(&host, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("force-network-mode").unwrap(),
        "host"
    );
    assert_eq!(solve.entitlements, ["network.host"]);
}

#[test]
fn loading_on_the_engines_own_builder_stores_the_image_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut load = request(dir.path());
    load.push = false;
    load.load = true;
    let solve = solve_for(&load, dir.path(), Daemon::Moby, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.exporters,
        [Entry {
            kind: "moby".into(),
            attrs: attrs(&[("name", "r.example/app:1")])
        }]
    );
}

#[test]
fn tarballs_go_to_their_destination_through_the_session() {
    use crate::model::export::{Destination, Tarball};
    let dir = tempfile::tempdir().unwrap();
    let mut tarballs = request(dir.path());
    tarballs.push = false;
    tarballs.exports = vec![
        Export::Tar(Destination {
            dest: "out/fs.tar".into(),
        }),
        Export::Oci(Tarball {
            dest: Some("out/image.tar".into()),
            ..Tarball::default()
        }),
    ];
    let solve = solve_for(&tarballs, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.exporters,
        [
            Entry {
                kind: "tar".into(),
                attrs: BTreeMap::new()
            },
            Entry {
                kind: "oci".into(),
                attrs: attrs(&[("name", "r.example/app:1")])
            },
        ]
    );
    assert_eq!(
        solve.session.outputs,
        BTreeMap::from([
            (0, Output::File(dir.path().join("out/fs.tar"))),
            (1, Output::File(dir.path().join("out/image.tar")))
        ])
    );
}

#[test]
fn an_ssh_agent_socket_is_forwarded_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let mut ssh = request(dir.path());
    ssh.ssh = vec![SshAgent {
        id: "github".into(),
        paths: vec![socket.to_string_lossy().into_owned()],
    }];
    let solve = solve_for(&ssh, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.session.ssh_agents,
        BTreeMap::from([("github".to_owned(), socket)])
    );
}

#[test]
fn loading_from_another_builder_streams_a_docker_tarball_into_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let mut load = request(dir.path());
    load.push = false;
    load.load = true;
    let solve = solve_for(&load, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.exporters,
        [Entry {
            kind: "docker".into(),
            attrs: attrs(&[("name", "r.example/app:1")])
        }]
    );
    assert_eq!(
        solve.session.outputs,
        BTreeMap::from([(0, Output::Engine(ENGINE.into()))])
    );
    let ssh = solve_for(&load, dir.path(), Daemon::Standalone, "ssh://me@far", &[]).unwrap();
    assert_eq!(
        ssh.session.outputs,
        BTreeMap::from([(0, Output::Engine("ssh://me@far".into()))])
    );
    let tcp = solve_for(&load, dir.path(), Daemon::Standalone, "tcp://far:2376", &[]);
    assert!(tcp.is_ok(), "plain TCP");
}

#[test]
fn a_git_context_is_fetched_by_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let mut git = request(dir.path());
    git.context = "https://example.com/app.git#main:web".into();
    git.dockerfile = DockerfileSource::Location("web.Dockerfile".into());
    let solve = solve_for(&git, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("context").unwrap(),
        "https://example.com/app.git#main:web"
    );
    assert_eq!(
        solve.frontend_attrs.get("filename").unwrap(),
        "web.Dockerfile"
    );
    assert!(solve.session.dirs.is_empty(), "{:?}", solve.session.dirs);
}

#[test]
fn an_http_context_is_fetched_by_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let mut remote = request(dir.path());
    remote.context = "http://127.0.0.1:8000/context.tar".into();
    let solve = solve_for(&remote, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("context").unwrap(),
        "http://127.0.0.1:8000/context.tar"
    );
    assert_eq!(solve.frontend_attrs.get("filename").unwrap(), "Dockerfile");
    assert!(solve.session.dirs.is_empty(), "{:?}", solve.session.dirs);
    // A Dockerfile of our own comes from memory, apart from the context.
    remote.dockerfile = DockerfileSource::Inline("FROM scratch\n".into());
    let solve = solve_for(&remote, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs.get("dockerfilekey").unwrap(),
        "dockerfile"
    );
    assert!(solve.session.dirs.contains_key("dockerfile"));
}

fn dir_of(request: &BuildRequest) -> &Path {
    Path::new(&request.context)
}

#[test]
fn raw_export_entries_are_read_as_buildx_reads_an_output_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = request(dir.path());
    raw.push = false;
    raw.exports = vec![
        Export::Raw("type=registry,name=r.example/other:2".into()),
        Export::Raw("type=tar,dest=out/fs.tar".into()),
    ];
    let solve = solve_for(&raw, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(solve.exporters[0].kind, "image");
    assert_eq!(solve.exporters[0].attrs["push"], "true");
    assert_eq!(solve.exporters[1].kind, "tar");
    assert_eq!(
        solve.session.outputs.get(&1),
        Some(&Output::File(dir.path().join("out/fs.tar")))
    );

    raw.exports = vec![Export::Raw("type=docker".into())];
    raw.tags.clear();
    let solve = solve_for(&raw, dir.path(), Daemon::Moby, ENGINE, &[]).unwrap();
    assert_eq!(solve.exporters.len(), 1, "a load: {:?}", solve.exporters);
    assert_eq!(solve.exporters[0].kind, "moby");

    raw.exports = vec![Export::Raw("out/dir".into())];
    let solve = solve_for(&raw, dir_of(&raw), Daemon::Standalone, ENGINE, &[]).unwrap();
    let tree = dir_of(&raw).join("out/dir");
    assert_eq!(solve.session.outputs.get(&0), Some(&Output::Dir(tree)));

    // An image into a directory is an OCI layout the session serves.
    raw.exports = vec![Export::Raw("type=oci,tar=false,dest=x".into())];
    let solve = solve_for(&raw, dir_of(&raw), Daemon::Standalone, ENGINE, &[]).unwrap();
    let layout = dir_of(&raw).join("x");
    assert_eq!(solve.session.content_stores["export"], layout);
    assert!(solve.session.outputs.is_empty());
    assert_eq!(solve.layout_indexes[0].dir, layout);
    raw.exports = vec![Export::Raw("type=tar".into())];
    let result = solve_for(&raw, dir.path(), Daemon::Standalone, ENGINE, &[]);
    assert_eq!(result.err(), Some(Refused(STDOUT.into())));

    // A raw push is no push in a preview.
    raw.mode = Mode::Preview;
    raw.exports = vec![Export::Raw("type=registry,name=r.example/other:2".into())];
    let solve = solve_for(&raw, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert!(
        solve
            .exporters
            .iter()
            .all(|e| e.attrs.get("push").is_none_or(|p| p != "true"))
    );
}

#[test]
fn extra_hosts_become_one_pair_per_address_as_buildx_renders_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(dir.path());
    request.add_hosts = vec![
        "db:10.0.0.2".into(),
        "cache=10.0.0.3,10.0.0.4".into(),
        "v6=[::1]".into(),
        "v6b:::2".into(),
        "gw:host-gateway".into(),
    ];
    let solve = solve_for(&request, dir.path(), Daemon::Standalone, ENGINE, &[]).unwrap();
    assert_eq!(
        solve.frontend_attrs["add-hosts"],
        "db=10.0.0.2,cache=10.0.0.3,cache=10.0.0.4,v6=::1,v6b=::2,gw=host-gateway"
    );
}
