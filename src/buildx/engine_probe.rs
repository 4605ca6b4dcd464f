//! Is the Docker engine still there? Asked after a build fails, so that a
//! build whose engine stopped says so, instead of quoting BuildKit's last
//! words ("database not open", "unexpected EOF").

use std::time::Duration;

/// How long a connection attempt may take before the engine counts as gone.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether something accepts connections at `host` (a `DOCKER_HOST`
/// value). `None` when the address is not one a plain connect can check
/// (`ssh://`, `npipe://`, or unparsable): the answer is then unknown.
pub async fn engine_answers(host: &str) -> Option<bool> {
    let connect = async {
        if let Some(path) = host.strip_prefix("unix://") {
            Some(tokio::net::UnixStream::connect(path).await.is_ok())
        } else if let Some(address) = host.strip_prefix("tcp://") {
            let address = address.trim_end_matches('/');
            Some(tokio::net::TcpStream::connect(address).await.is_ok())
        } else {
            None
        }
    };
    tokio::time::timeout(PROBE_TIMEOUT, connect)
        .await
        .unwrap_or(Some(false))
}

/// The engine a build without `host` uses: `DOCKER_HOST`, else Docker's
/// default socket.
pub fn effective_host(host: Option<&str>) -> String {
    host.filter(|h| !h.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listening_socket_answers_and_a_missing_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.sock");
        let host = format!("unix://{}", path.display());
        assert_eq!(engine_answers(&host).await, Some(false));
        let _listener = tokio::net::UnixListener::bind(&path).unwrap();
        assert_eq!(engine_answers(&host).await, Some(true));
    }

    #[tokio::test]
    async fn tcp_addresses_are_probed_and_ssh_ones_are_unknown() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        assert_eq!(
            engine_answers(&format!("tcp://{address}")).await,
            Some(true)
        );
        drop(listener);
        assert_eq!(
            engine_answers(&format!("tcp://{address}")).await,
            Some(false)
        );
        assert_eq!(engine_answers("ssh://user@host").await, None);
    }

    #[test]
    fn an_explicit_host_wins_over_the_environment() {
        assert_eq!(
            effective_host(Some("tcp://10.0.0.1:2375")),
            "tcp://10.0.0.1:2375"
        );
    }
}
