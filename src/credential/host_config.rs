//! The host's own Docker configuration (`$DOCKER_CONFIG`, else
//! `~/.docker`): where it is, and the logins it holds (`credHelpers`,
//! `credsStore`, `auths`), found as the Docker CLI finds them. The build's
//! private configuration layers over it; the registry client asks it.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::{Credential, RegistryHost};

/// The host's Docker configuration directory.
pub fn host_config_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")))
}

/// The credentials for `host`: an explicit one first, else the host's
/// Docker configuration (`credHelpers`, `credsStore`, `auths`).
pub fn credentials_for(host: &RegistryHost, explicit: &[Credential]) -> Option<(String, String)> {
    if let Some(c) = explicit.iter().find(|c| c.host == *host) {
        return Some((c.username.clone(), c.password.clone()));
    }
    let config = host_config()?;
    if let Some(found) = helper_for(&config, host).and_then(|helper| from_helper(&helper, host)) {
        return Some(found);
    }
    login_in_auths(&config, host)
}

/// The host's Docker `config.json`, if there is one that parses.
fn host_config() -> Option<serde_json::Value> {
    let dir = host_config_dir()?;
    serde_json::from_slice(&std::fs::read(dir.join("config.json")).ok()?).ok()
}

/// As the Docker CLI chooses: a helper for the host (under any of its
/// names), else the global store.
fn helper_for(config: &serde_json::Value, host: &RegistryHost) -> Option<String> {
    let for_host = config
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .and_then(|helpers| helpers.iter().find(|(key, _)| host.is_named_by(key)))
        .map(|(_, helper)| helper);
    for_host
        .or_else(|| config.get("credsStore"))
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// The login stored in `auths` under any name of `host` (Docker Hub's is
/// `https://index.docker.io/v1/`, as `docker login` writes it).
fn login_in_auths(config: &serde_json::Value, host: &RegistryHost) -> Option<(String, String)> {
    let auths = config.get("auths")?.as_object()?;
    let entry = auths
        .iter()
        .find(|(key, _)| host.is_named_by(key))
        .map(|(_, v)| v)?;
    if let Some(encoded) = entry.get("auth").and_then(|a| a.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return Some((user.to_owned(), password.to_owned()));
    }
    let user = entry.get("username")?.as_str()?;
    let password = entry.get("password")?.as_str()?;
    Some((user.to_owned(), password.to_owned()))
}

/// Asks `docker-credential-<helper>` for `host`'s login (the helper
/// protocol: the server, under the name the Docker CLI uses, on stdin;
/// `{"Username", "Secret"}` on stdout).
fn from_helper(helper: &str, host: &RegistryHost) -> Option<(String, String)> {
    run_helper(
        std::path::Path::new(&format!("docker-credential-{helper}")),
        &host.config_key(),
    )
}

fn run_helper(program: &std::path::Path, host: &str) -> Option<(String, String)> {
    use std::io::Write as _;
    let mut child = std::process::Command::new(program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(host.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let user = answer.get("Username")?.as_str()?.to_owned();
    let secret = answer.get("Secret")?.as_str()?.to_owned();
    Some((user, secret))
}

/// Whether the host's Docker configuration has a login for `host`
/// (`auths` or a credential helper for it).
pub fn host_has_login(host: &RegistryHost) -> bool {
    let Some(config) = host_config() else {
        return false;
    };
    let in_auths = config
        .get("auths")
        .and_then(|a| a.as_object())
        .is_some_and(|a| a.keys().any(|k| host.is_named_by(k)));
    let helper = config
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .is_some_and(|h| h.keys().any(|k| host.is_named_by(k)));
    in_auths || helper
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_helpers_are_asked_like_the_docker_cli_does() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-fake");
        std::fs::write(&helper, "#!/bin/sh\nread server\necho \"{\\\"Username\\\":\\\"u-$server\\\",\\\"Secret\\\":\\\"s\\\"}\"\n").unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            run_helper(&helper, "r.example"),
            Some(("u-r.example".to_owned(), "s".to_owned()))
        );
        assert_eq!(
            from_helper(
                "definitely-not-installed",
                &RegistryHost::parse("r.example")
            ),
            None
        );
    }

    #[test]
    fn explicit_credentials_win() {
        let explicit = [Credential {
            host: RegistryHost::parse("r.example"),
            username: "u".into(),
            password: "p".into(),
        }];
        assert_eq!(
            credentials_for(&RegistryHost::parse("https://r.example/v2/"), &explicit),
            Some(("u".into(), "p".into()))
        );
    }

    /// `docker login` (no argument) stores a Docker Hub login under
    /// `https://index.docker.io/v1/`; every name of Docker Hub finds it,
    /// as do references to `docker.io/...` and bare `user/app` tags.
    #[test]
    fn a_docker_hub_login_is_found_under_every_name() {
        let config = serde_json::json!({
            "auths": {
                "https://index.docker.io/v1/": {"auth": "aHViLXVzZXI6aHViLXBhc3N3b3Jk"},
                "r.example": {"username": "r-user", "password": "r-password"},
            },
            "credHelpers": {"index.docker.io": "hub-helper"},
        });
        let tags = [
            "docker.io/user/app:1",
            "user/app:1",
            "busybox",
            "index.docker.io/user/app",
        ];
        for tag in tags {
            let host = crate::model::Reference::parse(tag).unwrap().registry();
            assert_eq!(
                login_in_auths(&config, &host),
                Some(("hub-user".into(), "hub-password".into())),
                "{tag}"
            );
            assert_eq!(
                helper_for(&config, &host).as_deref(),
                Some("hub-helper"),
                "{tag}"
            );
        }
        for name in ["registry-1.docker.io", "https://index.docker.io/v1/"] {
            assert!(
                login_in_auths(&config, &RegistryHost::parse(name)).is_some(),
                "{name}"
            );
        }
        assert_eq!(
            login_in_auths(&config, &RegistryHost::parse("r.example")),
            Some(("r-user".into(), "r-password".into()))
        );
        assert_eq!(
            login_in_auths(&config, &RegistryHost::parse("other.example")),
            None
        );
    }
}
