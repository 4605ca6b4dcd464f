use std::os::unix::net::UnixListener;
use std::process::Command;

use super::*;

fn entry(id: &str, paths: &[&str]) -> Ssh {
    Ssh {
        id: id.into(),
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn keygen(dir: &Path, name: &str, passphrase: &str, format: &[&str]) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", passphrase, "-f"])
        .arg(dir.join(name))
        .args(format)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
}

/// (property, reason) of each failure.
fn found(entries: &[Ssh], base: &Path, agent: Option<&str>) -> Vec<(String, String)> {
    (check_ssh(entries, base, agent).into_iter())
        .map(|f| (f.property.to_string(), f.reason))
        .collect()
}

#[test]
fn keys_that_need_no_passphrase_pass_and_others_fail_on_their_path() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "", &["-t", "ed25519"]);
    keygen(
        dir.path(),
        "rsa-pem",
        "",
        &["-t", "rsa", "-b", "1024", "-m", "PEM"],
    );
    keygen(
        dir.path(),
        "ecdsa-pkcs8",
        "",
        &["-t", "ecdsa", "-m", "PKCS8"],
    );
    keygen(dir.path(), "locked", "a passphrase", &["-t", "ed25519"]);
    keygen(
        dir.path(),
        "locked-pem",
        "a passphrase",
        &["-t", "rsa", "-b", "1024", "-m", "PEM"],
    );
    keygen(
        dir.path(),
        "locked-pkcs8",
        "a passphrase",
        &["-t", "ecdsa", "-m", "PKCS8"],
    );
    std::fs::write(dir.path().join("text"), "hello\n").unwrap();
    let good = [entry("a", &["ed25519", "rsa-pem", "ecdsa-pkcs8"])];
    assert_eq!(found(&good, dir.path(), None), []);

    let bad = [
        entry("a", &["locked"]),
        entry("b", &["locked-pem"]),
        entry("c", &["locked-pkcs8"]),
        entry("d", &["ed25519", "text"]),
        entry("e", &["ed25519.pub"]),
        entry("f", &["missing"]),
    ];
    let found = found(&bad, dir.path(), None);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "ssh[0].paths[0]",
            "ssh[1].paths[0]",
            "ssh[2].paths[0]",
            "ssh[3].paths[1]",
            "ssh[4].paths[0]",
            "ssh[5].paths[0]"
        ]
    );
    for (_, why) in &found[..3] {
        assert!(why.contains("behind a passphrase"), "{why}");
    }
    assert!(
        found[3].1.starts_with("`text` is not a private key"),
        "{found:?}"
    );
    assert!(found[5].1.contains("cannot be read"), "{found:?}");
}

#[test]
fn no_paths_needs_an_agent_at_ssh_auth_sock() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let _listener = UnixListener::bind(&socket).unwrap();
    let entries = [entry("default", &[])];
    assert_eq!(found(&entries, dir.path(), socket.to_str()), []);
    let without = found(&entries, dir.path(), None);
    assert_eq!(without.len(), 1);
    assert_eq!(without[0].0, "ssh[0]");
    assert!(
        without[0].1.contains("SSH_AUTH_SOCK is not set"),
        "{without:?}"
    );
    let gone = found(&entries, dir.path(), Some("/nonexistent/agent.sock"));
    assert!(gone[0].1.contains("is not there"), "{gone:?}");
    assert_eq!(
        found(&entries, dir.path(), Some("")).len(),
        1,
        "empty is unset"
    );
}

#[test]
fn one_socket_per_entry_never_with_keys_and_each_id_once() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "key", "", &["-t", "ed25519"]);
    let (a, b) = (dir.path().join("a.sock"), dir.path().join("b.sock"));
    let _listeners = (
        UnixListener::bind(&a).unwrap(),
        UnixListener::bind(&b).unwrap(),
    );
    let entries = [
        entry("one", &["a.sock"]),
        entry("two", &["a.sock", "b.sock"]),
        entry("mixed", &["key", "b.sock"]),
        entry("one", &["key"]),
    ];
    let found = found(&entries, dir.path(), None);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["ssh[1].paths", "ssh[2].paths", "ssh[3].id"],
        "{found:?}"
    );
    assert!(found[2].1.contains("`one` is given twice"), "{found:?}");
}

#[test]
fn pem_framing_is_read_as_go_reads_it() {
    let block = "junk before\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(private_key(block.as_bytes()), Err(PASSPHRASE));
    let plain = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_eq!(private_key(plain.as_bytes()), Ok(()));
    let unended = "-----BEGIN PRIVATE KEY-----\nAAAA\n";
    assert!(private_key(unended.as_bytes()).is_err());
    let certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(private_key(certificate.as_bytes()).is_err());
    let damaged = "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!\n-----END OPENSSH PRIVATE KEY-----\n";
    assert!(private_key(damaged.as_bytes()).is_err());
}
