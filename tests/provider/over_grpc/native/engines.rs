//! Engines and builders reached without a buildx build: the classic image
//! store (the engine pushes), a builder that is not there, engines behind
//! `ssh://` and TLS.

use super::*;

/// On an engine's classic image store the engine itself pushes what its
/// builder made (as buildx's `docker` driver has it do), with the login in
/// a request header; the state gets the registry's digest.
#[tokio::test]
async fn the_classic_store_pushes_through_the_engine_with_its_login_without_buildx() {
    require_engine();
    let classic = std::env::var("DOCKER_BUILD_TEST_CLASSIC_ENGINE").expect("classic engine");
    let ecr = std::env::var("DOCKER_BUILD_TEST_ECR_REGISTRY").expect("ECR stand-in");
    let password = std::env::var("DOCKER_BUILD_TEST_ECR_PASSWORD").expect("ECR password");
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), unique("classic-push")).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({"host": classic})).await;
    let repository = unique("classic-push");
    let tag = format!("{ecr}/{repository}:1");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [tag],
            "autoCache": false,
            "registries": [{"address": ecr, "username": "AWS", "password": {"$secret": password}}],
        }))
        .await;
    let created = session.create(&inputs, false).await.expect("pushed");
    let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
    let login = docker_build::credential::Credential {
        host: docker_build::credential::RegistryHost::parse(&ecr),
        username: "AWS".into(),
        password: password.clone(),
    };
    use docker_build::registry::{HttpRegistry, Presence, Registry};
    let Presence::Found(Some(pushed)) = HttpRegistry::default()
        .head(
            &docker_build::model::Reference::parse(&tag).unwrap(),
            &[login],
        )
        .await
    else {
        panic!("{tag} is not in the registry");
    };
    assert_eq!(state["digest"], json!(pushed), "the registry's digest");
    assert_eq!(state["ref"], json!(format!("{tag}@{pushed}")));
    assert_only_dials(&log);
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&password));
}

/// An image with no `tags` whose raw export names it is pushed to that
/// name, on the containerd store (BuildKit pushes) and on the classic
/// store (the engine pushes the name Check parsed), as the official
/// provider's is.
#[tokio::test]
async fn a_raw_export_naming_its_image_pushes_it_without_tags() {
    require_engine();
    let classic = std::env::var("DOCKER_BUILD_TEST_CLASSIC_ENGINE").expect("classic engine");
    for host in [None, Some(classic)] {
        let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
        std::fs::write(dir.path().join("m"), unique("raw-named")).unwrap();
        let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
        if let Some(host) = &host {
            session.configure(json!({"host": host})).await;
        }
        let name = format!("{}/{}:1", registry(), unique("raw-named"));
        let inputs = session
            .checked(json!({
                "push": false,
                "autoCache": false,
                "exports": [{"raw": format!("type=registry,name={name}")}],
            }))
            .await;
        let created = session.create(&inputs, false).await;
        let created = created.unwrap_or_else(|e| panic!("on {host:?}: {e:?}"));
        let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
        use docker_build::registry::{HttpRegistry, Presence, Registry};
        let reference = docker_build::model::Reference::parse(&name).unwrap();
        let Presence::Found(Some(pushed)) = HttpRegistry::default().head(&reference, &[]).await
        else {
            panic!("{name} is not in the registry (engine {host:?})");
        };
        assert_eq!(
            state["digest"],
            json!(pushed),
            "the registry's digest ({host:?})"
        );
        assert_only_dials(&log);
    }
}

/// A builder that cannot be dialed is reported as buildx would report
/// it, without a buildx build to find out: no such builder names the ones
/// there are.
#[tokio::test]
async fn a_builder_that_is_not_there_is_named_without_a_buildx_build() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": false, "builder": {"name": "dbt-nowhere"}}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("no such builder");
    assert!(
        status
            .message()
            .contains("no buildx builder or Docker context named `dbt-nowhere`")
            && status.message().contains("dbt-remote-a"),
        "{}",
        status.message()
    );
    assert_only_dials(&log);
}

/// Builds a one-file image on `dbt-remote-a` with `load` into the engine
/// the provider's `host` names (`env` reaching it), then checks with
/// `docker` at `inspect_host` (the same engine, as this machine reaches
/// it) that the image is there, and that buildx only dialed.
async fn load_from_a_remote_builder(
    prefix: &str,
    (host, env): (&str, &[(&str, &str)]),
    inspect_host: &str,
) {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique(prefix);
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), &marker).unwrap();
    let argv = work.path().join("argv.log");
    let buildx = recording_buildx(work.path(), &argv);
    let buildx_text = buildx.display().to_string();
    let mut all = vec![("DOCKER_BUILD_BUILDX", buildx_text.as_str())];
    all.extend_from_slice(env);
    let mut session = start_with_env(dir.path(), &all).await;
    session.configure(json!({"host": host})).await;
    let tag = format!("{prefix}:{}", marker.to_lowercase());
    let inputs = session
        .checked(json!({
            "push": false,
            "load": true,
            "tags": [tag],
            "builder": {"name": "dbt-remote-a"},
        }))
        .await;
    session.create(&inputs, false).await.expect("loaded");
    let docker = |args: &[&str]| {
        std::process::Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", inspect_host)
            .output()
            .unwrap()
    };
    let inspected = docker(&["image", "inspect", &tag]);
    assert!(
        inspected.status.success(),
        "{}",
        String::from_utf8_lossy(&inspected.stderr)
    );
    assert_only_dials(&argv);
    let _ = docker(&["image", "rm", &tag]);
}

/// `load` from a remote builder into an engine at `ssh://`: the tarball
/// goes through `docker system dial-stdio` over SSH into that engine.
#[tokio::test]
async fn load_into_an_engine_over_ssh_without_buildx() {
    require_engine();
    let host = std::env::var("DOCKER_BUILD_TEST_SSH_HOST").expect("DOCKER_BUILD_TEST_SSH_HOST");
    let ssh_path = std::env::var("DOCKER_BUILD_TEST_SSH_PATH").expect("DOCKER_BUILD_TEST_SSH_PATH");
    let second = std::env::var("DOCKER_BUILD_TEST_SECOND_ENGINE_SOCKET").expect("second engine");
    let path = format!("{ssh_path}:{}", std::env::var("PATH").unwrap());
    load_from_a_remote_builder("ssh-load", (&host, &[("PATH", path.as_str())]), &second).await;
}

/// Writes a CA, a server certificate for 127.0.0.1 and a client
/// certificate into `dir` (Docker's names for the client side: `ca.pem`,
/// `cert.pem`, `key.pem`).
fn tls_files(dir: &Path) {
    let openssl = |args: &[&str]| {
        let done = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &key,
            &[
                "-keyout",
                "ca-key.pem",
                "-out",
                "ca.pem",
                "-days",
                "1",
                "-subj",
                "/CN=test-ca",
            ],
        ]
        .concat(),
    );
    for (name, subject, extension) in [
        (
            "server",
            "/CN=127.0.0.1",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "/CN=client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), extension).unwrap();
        let (key_file, csr) = (format!("{name}-key.pem"), format!("{name}.csr"));
        openssl(
            &[
                &["req"][..],
                &key,
                &["-keyout", &key_file, "-out", &csr, "-subj", subject],
            ]
            .concat(),
        );
        let (cert, ext) = (format!("{name}.pem"), format!("{name}.ext"));
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "1",
            "-extfile",
            &ext,
        ]);
    }
    std::fs::copy(dir.join("client.pem"), dir.join("cert.pem")).unwrap();
    std::fs::copy(dir.join("client-key.pem"), dir.join("key.pem")).unwrap();
}

/// A TLS endpoint in front of the engine's unix socket that wants a
/// client certificate from `dir`'s CA, as `dockerd --tlsverify` does; its
/// port, and how many connections it took.
async fn tls_engine(
    dir: &Path,
    engine: &str,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder(std::sync::Arc::new(roots))
        .build()
        .unwrap();
    let chain = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let socket = engine.trim_start_matches("unix://").to_owned();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = taken.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, socket, counter) = (acceptor.clone(), socket.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut unix = tokio::net::UnixStream::connect(socket).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut unix).await;
            });
        }
    });
    (port, taken)
}

/// `load` from a remote builder into an engine behind TLS that checks
/// client certificates (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`): the
/// tarball goes in over TLS with the client certificate.
#[tokio::test]
async fn load_into_an_engine_behind_tls_without_buildx() {
    require_engine();
    let certs = tempfile::tempdir().unwrap();
    tls_files(certs.path());
    let engine = std::env::var("DOCKER_HOST").expect("DOCKER_HOST");
    let (port, taken) = tls_engine(certs.path(), &engine).await;
    let cert_path = certs.path().display().to_string();
    let env = [
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", cert_path.as_str()),
    ];
    let host = format!("tcp://127.0.0.1:{port}");
    load_from_a_remote_builder("tls-load", (&host, &env), &engine).await;
    assert!(
        taken.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "through the TLS endpoint"
    );
}

/// `addHosts` reach the build's `/etc/hosts` as buildx puts them there:
/// several addresses for one name, an IPv6 one in brackets, and
/// `host-gateway` as the engine's host on the engine's own builder; a
/// builder that does not know that address refuses it before building.
#[tokio::test]
async fn extra_hosts_reach_the_build_with_host_gateway_on_the_engines_builder() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {}/busybox:local AS build\nRUN mkdir /out && cp /etc/hosts /out/hosts && echo {}\nFROM scratch\nCOPY --from=build /out /\n",
            registry(),
            unique("hosts")
        ),
    )
    .unwrap();
    let (mut session, _log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let tree = work.path().join("tree");
    let inputs = |builder: Option<&str>| {
        let mut inputs = json!({
            "push": false,
            "addHosts": ["db:10.0.0.2", "multi=10.0.0.3,10.0.0.4", "six=[fd00::1]", "gw:host-gateway"],
            "exports": [{"local": {"dest": tree.display().to_string()}}],
        });
        if let Some(name) = builder {
            inputs["builder"] = json!({"name": name});
        }
        inputs
    };
    let checked = session.checked(inputs(None)).await;
    session.create(&checked, false).await.expect("built");
    let hosts = std::fs::read_to_string(tree.join("hosts")).unwrap();
    let has = |ip: &str, name: &str| {
        (hosts.lines()).any(|l| l.split_whitespace().collect::<Vec<_>>() == [ip, name])
    };
    for (ip, name) in [
        ("10.0.0.2", "db"),
        ("10.0.0.3", "multi"),
        ("10.0.0.4", "multi"),
        ("fd00::1", "six"),
    ] {
        assert!(has(ip, name), "{ip} {name} in {hosts}");
    }
    let gateway = hosts
        .lines()
        .find(|l| l.ends_with("\tgw") || l.ends_with(" gw"));
    let gateway = gateway.unwrap_or_else(|| panic!("gw in {hosts}"));
    assert!(
        gateway
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<std::net::IpAddr>()
            .is_ok()
    );

    let remote = session.checked(inputs(Some("dbt-remote-a"))).await;
    let refused = session
        .create(&remote, false)
        .await
        .expect_err("no gateway there");
    assert!(
        refused.message().contains("`gw:host-gateway` (addHosts)"),
        "{}",
        refused.message()
    );
}
