//! Registry credentials served to buildx with no file holding them.
//!
//! A private Docker configuration names, for each host the operation has a
//! login for, the credential helper `docker-build` (`credHelpers`). Docker
//! tools run a helper as `docker-credential-<name>` from `PATH`; the
//! private configuration's `bin/` (first on buildx's `PATH`) links that
//! name to this provider's own binary, which, started under that name,
//! answers `get` by asking the running provider over a unix socket in the
//! private directory (0700). The provider's [`Broker`] answers only for the
//! hosts of that one operation and only to processes of its own user, and
//! stops with the operation: the password lives in the provider's memory
//! and in the pipe to buildx, never in a file, an argument or an
//! environment variable.

use std::io::{BufRead, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::credential::Credential;
use crate::credential::RegistryHost;

/// The helper's name in `credHelpers`: Docker runs
/// `docker-credential-docker-build`.
pub const HELPER: &str = "docker-build";

/// The executable name the provider's binary answers to as the helper.
pub const HELPER_EXECUTABLE: &str = "docker-credential-docker-build";

/// The socket's name inside the private configuration directory.
const SOCKET: &str = "credentials.sock";

/// The longest request accepted: one registry address.
const MAX_REQUEST: usize = 4096;

/// Serves one operation's credentials until dropped.
#[derive(Debug)]
pub struct Broker {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Broker {
    /// Listens in `dir` (the private configuration directory, which must
    /// be the caller's and 0700) and answers for `credentials`' hosts.
    /// Needs a tokio runtime.
    pub fn serve(dir: &Path, credentials: Vec<Credential>) -> std::io::Result<Broker> {
        let owner = std::fs::metadata(dir)?.uid();
        let listener = tokio::net::UnixListener::bind(dir.join(SOCKET))?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mine = stream.peer_cred().is_ok_and(|peer| peer.uid() == owner);
                if mine {
                    let credentials = credentials.clone();
                    tokio::spawn(answer(stream, credentials));
                }
            }
        });
        Ok(Broker { task })
    }
}

/// Reads one address and writes the matching login, or `{}`.
async fn answer(stream: tokio::net::UnixStream, credentials: Vec<Credential>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(MAX_REQUEST as u64));
    if reader.read_line(&mut line).await.is_err() {
        return;
    }
    let address = line.trim();
    let host = RegistryHost::parse(address);
    let reply = credentials
        .iter()
        .find(|credential| credential.host == host)
        .map_or_else(
            || json!({}),
            |credential| {
                json!({"ServerURL": address, "Username": credential.username, "Secret": credential.password})
            },
        );
    let _ = write.write_all(format!("{reply}\n").as_bytes()).await;
}

/// The provider's binary, run by Docker as `docker-credential-docker-build
/// <action>`: `get` asks the broker of the private configuration in
/// `DOCKER_CONFIG`; `store` and `erase` keep nothing; `list` is empty.
pub fn helper_main(action: Option<&str>) -> ExitCode {
    let mut input = String::new();
    let _ = std::io::stdin().lock().read_line(&mut input);
    match action {
        Some("get") => {
            let socket =
                std::env::var_os("DOCKER_CONFIG").map(|dir| PathBuf::from(dir).join(SOCKET));
            match socket.and_then(|socket| ask(&socket, input.trim()).ok()) {
                Some(login) if login.get("Secret").is_some() => {
                    println!("{login}");
                    ExitCode::SUCCESS
                }
                // What Docker's own helpers say, so callers read it as
                // "no login for this host".
                _ => {
                    println!("credentials not found in native keychain");
                    ExitCode::FAILURE
                }
            }
        }
        Some("store" | "erase") => ExitCode::SUCCESS,
        Some("list") => {
            println!("{{}}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: {HELPER_EXECUTABLE} get|store|erase|list");
            ExitCode::FAILURE
        }
    }
}

/// One question to the broker at `socket`: the login for `address`.
pub fn ask(socket: &Path, address: &str) -> std::io::Result<serde_json::Value> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket)?;
    stream.write_all(format!("{address}\n").as_bytes())?;
    let mut line = String::new();
    std::io::BufReader::new(stream).read_line(&mut line)?;
    Ok(serde_json::from_str(&line)?)
}

/// The socket's path in the private configuration directory `dir`.
pub fn socket_in(dir: &Path) -> PathBuf {
    dir.join(SOCKET)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(host: &str, password: &str) -> Credential {
        Credential {
            host: RegistryHost::parse(host),
            username: "AWS".into(),
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn the_broker_answers_its_hosts_only() {
        let dir = tempfile::tempdir().unwrap();
        let broker = Broker::serve(
            dir.path(),
            vec![
                credential("r.example:5001", "t0ken"),
                credential("docker.io", "hub"),
            ],
        )
        .unwrap();
        let socket = socket_in(dir.path());
        let ask_for = |address: &'static str| {
            let socket = socket.clone();
            tokio::task::spawn_blocking(move || ask(&socket, address).unwrap())
        };
        let login = ask_for("r.example:5001").await.unwrap();
        assert_eq!(login["Username"], "AWS");
        assert_eq!(login["Secret"], "t0ken");
        assert_eq!(login["ServerURL"], "r.example:5001");
        // Docker Hub under the name buildx asks with.
        let hub = ask_for("https://index.docker.io/v1/").await.unwrap();
        assert_eq!(hub["Secret"], "hub");
        assert_eq!(ask_for("other.example").await.unwrap(), json!({}));
        // Gone with the operation.
        drop(broker);
        tokio::task::yield_now().await;
        let socket = socket.clone();
        let after = tokio::task::spawn_blocking(move || ask(&socket, "r.example:5001"))
            .await
            .unwrap();
        assert!(after.is_err(), "{after:?}");
    }
}
