//! SSH keys given as files (`ssh: [{paths: [key, ...]}]`), offered to a
//! build as buildx offers them: through an agent of the build's own. Here
//! that is OpenSSH's `ssh-agent`, started for the build on a socket in a
//! private directory, the keys added by `ssh-add` (which reads the files;
//! no key is in any argument, variable or file of ours), and stopped with
//! the build. A key protected by a passphrase cannot be added without a
//! prompt and is refused, naming the file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::build::locate::dies_with_provider;

/// A running agent holding one entry's keys; stopped when dropped.
pub struct KeyAgent {
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
    socket: PathBuf,
}

impl KeyAgent {
    /// Starts an agent and adds `keys` to it.
    pub async fn start(keys: &[PathBuf]) -> Result<KeyAgent, String> {
        let dir = tempfile::Builder::new()
            .prefix("docker-build-ssh-")
            .tempdir()
            .map_err(|e| format!("cannot make a directory for an SSH agent: {e}"))?;
        let socket = dir.path().join("agent.sock");
        // Killed with the provider too: no agent outlives it holding keys.
        let child = dies_with_provider(Path::new("ssh-agent"))
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start ssh-agent for the build's SSH keys: {e}"))?;
        let agent = KeyAgent {
            _child: child,
            _dir: dir,
            socket,
        };
        agent.wait_for_socket().await?;
        for key in keys {
            agent.add(key).await?;
        }
        Ok(agent)
    }

    /// The agent's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    async fn wait_for_socket(&self) -> Result<(), String> {
        for _ in 0..200 {
            if self.socket.exists() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err("ssh-agent did not open its socket".into())
    }

    async fn add(&self, key: &Path) -> Result<(), String> {
        let added = tokio::process::Command::new("ssh-add")
            .arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env_remove("SSH_ASKPASS")
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| format!("cannot run ssh-add: {e}"))?;
        if added.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&added.stderr);
        Err(format!(
            "the SSH key {} cannot be used (a key with a passphrase needs an agent: give its socket in `ssh.paths` or SSH_AUTH_SOCK): {}",
            key.display(),
            said.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keygen(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
        let key = dir.join(name);
        let made = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen");
        assert!(made.success());
        key
    }

    #[tokio::test]
    async fn the_agent_holds_the_keys_and_stops_with_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let keys = [keygen(dir.path(), "one", ""), keygen(dir.path(), "two", "")];
        let agent = KeyAgent::start(&keys).await.expect("agent");
        let listed = std::process::Command::new("ssh-add")
            .arg("-l")
            .env("SSH_AUTH_SOCK", agent.socket())
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&listed.stdout);
        assert!(listed.contains("one") && listed.contains("two"), "{listed}");
        let socket = agent.socket().to_path_buf();
        drop(agent);
        assert!(!socket.exists(), "the agent's directory goes with it");
    }

    #[tokio::test]
    async fn a_key_with_a_passphrase_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let locked = keygen(dir.path(), "locked", "secret phrase");
        let error = KeyAgent::start(std::slice::from_ref(&locked))
            .await
            .err()
            .expect("refused");
        assert!(error.contains(&locked.display().to_string()), "{error}");
        assert!(!error.contains("secret phrase"));
    }
}
