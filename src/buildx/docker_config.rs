//! A private Docker configuration directory for one operation, through
//! which buildx gets the operation's registry credentials, so that no
//! password ever appears on a command line, in the user's own `~/.docker`
//! or in any file.
//!
//! The directory is created mode 0700 with `config.json` mode 0600, starts
//! from the host's configuration (so its other registries keep working),
//! names this provider's credential helper for the operation's hosts
//! (served from memory by a [`Broker`]; see `credential_broker`), and is
//! removed when dropped. The host's `buildx` and `contexts` directories
//! are linked in so named builders and Docker contexts still resolve.

use std::collections::BTreeMap;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use serde_json::{Value, json};

use super::credential_broker::{Broker, HELPER, HELPER_EXECUTABLE};

use crate::credential::Credential;
use crate::credential::host_config_dir;

/// A temporary Docker configuration directory, removed on drop.
#[derive(Debug)]
pub struct PrivateDockerConfig {
    /// Answers the credential helper while the operation runs; declared
    /// first, so it stops before the directory goes.
    _broker: Option<Broker>,
    dir: tempfile::TempDir,
}

impl PrivateDockerConfig {
    /// Creates the directory with `credentials` layered over the host's.
    /// With credentials it starts their broker, so it needs a tokio
    /// runtime.
    pub fn create(credentials: &[Credential]) -> std::io::Result<PrivateDockerConfig> {
        // The owner's pid in the name lets a later provider remove what a
        // killed one left behind (`remove_stale`).
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
        let host = host_config_dir();
        let base = host
            .as_ref()
            .and_then(|h| std::fs::read(h.join("config.json")).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .unwrap_or_else(|| json!({}));
        let config = layer(base, credentials);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.path().join("config.json"))?;
        std::io::Write::write_all(&mut file, serde_json::to_string(&config)?.as_bytes())?;
        if let Some(host) = host {
            for shared in ["buildx", "contexts"] {
                let source = host.join(shared);
                if source.exists() {
                    std::os::unix::fs::symlink(&source, dir.path().join(shared))?;
                }
            }
        }
        let broker = if credentials.is_empty() {
            None
        } else {
            // The helper is this provider's own binary under the name
            // Docker runs; `point_at` puts `bin/` first on the PATH.
            let bin = dir.path().join("bin");
            std::fs::create_dir(&bin)?;
            std::os::unix::fs::symlink(std::env::current_exe()?, bin.join(HELPER_EXECUTABLE))?;
            Some(Broker::serve(dir.path(), credentials.to_vec())?)
        };
        Ok(PrivateDockerConfig {
            _broker: broker,
            dir,
        })
    }

    /// The directory, for `DOCKER_CONFIG`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Points a Docker tool (buildx) at the private configuration `dir`: its
/// `DOCKER_CONFIG`, and its credential helper first on the `PATH`.
pub fn point_at(command: &mut tokio::process::Command, dir: &Path) {
    let mut path = std::ffi::OsString::from(dir.join("bin"));
    if let Some(inherited) = std::env::var_os("PATH") {
        path.push(":");
        path.push(inherited);
    }
    command.env("DOCKER_CONFIG", dir).env("PATH", path);
}

/// The name every private configuration directory starts with.
const PREFIX: &str = "docker-build-auth-";

/// Removes the private configuration directories under `temp` whose
/// provider is gone (killed before it could remove them, so they still
/// hold its registry credentials); returns how many. A directory whose
/// owner still runs, or whose name carries no owner, is left alone.
pub fn remove_stale(temp: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = Path::new("/proc").join(owner.to_string()).exists();
        if !alive && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// `base` with this provider's credential helper named for each host of
/// `credentials` (`credHelpers`, which take precedence over `auths` and a
/// global `credsStore`), and every other login for those hosts removed, so
/// no stale one competes. No password is written.
fn layer(mut base: Value, credentials: &[Credential]) -> Value {
    if !base.is_object() {
        base = json!({});
    }
    let object = base.as_object_mut().expect("made an object above");
    let mut auths: BTreeMap<String, Value> = object
        .get("auths")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut helpers = object
        .get("credHelpers")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for credential in credentials {
        auths.retain(|key, _| !credential.host.is_named_by(key));
        helpers.retain(|key, _| !credential.host.is_named_by(key));
        // Under each name a Docker tool may look the host up by.
        for key in credential.host.config_keys() {
            helpers.insert(key, json!(HELPER));
        }
    }
    object.insert("auths".into(), json!(auths));
    object.insert("credHelpers".into(), Value::Object(helpers));
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(host: &str) -> Credential {
        Credential {
            host: crate::credential::RegistryHost::parse(host),
            username: "AWS".into(),
            password: "t0ken".into(),
        }
    }

    #[test]
    fn credentials_name_the_helper_and_write_no_password() {
        let base = json!({"auths": {"other.example": {"auth": "b3RoZXI="}, "r.example": {"auth": "c3RhbGU="}},
            "credHelpers": {"r.example": "ecr-login", "x.example": "pass"}, "credsStore": "desktop"});
        let layered = layer(base, &[credential("r.example")]);
        assert_eq!(layered["credHelpers"]["r.example"], HELPER);
        assert_eq!(layered["credHelpers"]["x.example"], "pass");
        assert_eq!(
            layered["auths"],
            json!({"other.example": {"auth": "b3RoZXI="}}),
            "the stale login is gone"
        );
        assert_eq!(layered["credsStore"], "desktop", "other hosts keep theirs");
        let text = layered.to_string();
        assert!(
            !text.contains("t0ken") && !text.contains("QVdTOnQwa2Vu"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn private_directory_is_private_and_removed() {
        let config = PrivateDockerConfig::create(&[credential("r.example")]).unwrap();
        let path = config.path().to_path_buf();
        let dir_mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let file_mode = std::fs::metadata(path.join("config.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!((dir_mode, file_mode), (0o700, 0o600));
        let helper = path.join("bin").join(HELPER_EXECUTABLE);
        assert_eq!(
            std::fs::read_link(&helper).unwrap(),
            std::env::current_exe().unwrap()
        );
        drop(config);
        assert!(!path.exists(), "removed when the operation ends");
    }

    #[test]
    fn directories_of_dead_providers_are_removed_and_live_ones_kept() {
        let temp = tempfile::tempdir().unwrap();
        // pid 0 never names a running provider; our own pid does.
        let dead = temp.path().join(format!("{PREFIX}0-abc123"));
        let live = temp
            .path()
            .join(format!("{PREFIX}{}-def456", std::process::id()));
        let foreign = temp.path().join(format!("{PREFIX}xyz"));
        for dir in [&dead, &live, &foreign] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join("config.json"), "{}").unwrap();
        }
        assert_eq!(remove_stale(temp.path()), 1);
        assert!(!dead.exists() && live.exists() && foreign.exists());
    }

    #[test]
    fn a_docker_hub_login_is_found_under_every_name_of_the_hub() {
        let base = json!({"auths": {"index.docker.io": {"auth": "c3RhbGU="}}, "credHelpers": {"docker.io": "desktop"}});
        let layered = layer(base, &[credential("docker.io")]);
        assert_eq!(layered["auths"], json!({}), "the stale login is gone");
        for key in [
            "https://index.docker.io/v1/",
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
        ] {
            assert_eq!(layered["credHelpers"][key], HELPER, "{key}");
        }
    }
}
