//! The few Docker Engine API calls the build engine makes itself, over the
//! engine's unix socket, TCP address (with TLS when the environment asks)
//! or `ssh://`: a connection for a streamed image load, and one-shot
//! requests (pushing an image from the classic store, reading its
//! registry digest).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::engine_tls::EngineTls;

/// A connection to the engine, either kind.
pub trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// Whether `host` is an engine address reachable here: `unix://`,
/// `tcp://` (with TLS as `DOCKER_TLS_VERIFY`/`DOCKER_TLS` ask, see
/// `engine_tls`) and `ssh://` (through `docker system dial-stdio` on the
/// far side, as the Docker CLI reaches it).
pub fn reachable(host: &str) -> bool {
    ["unix://", "tcp://", "ssh://"]
        .iter()
        .any(|scheme| host.starts_with(scheme))
}

/// Opens a connection to the engine at `host`.
pub async fn connect(host: &str) -> std::io::Result<Box<dyn Connection>> {
    if let Some(path) = host.strip_prefix("unix://") {
        Ok(Box::new(tokio::net::UnixStream::connect(path).await?))
    } else if let Some(address) = host.strip_prefix("tcp://") {
        let address = address.trim_end_matches('/');
        match super::engine_tls::from_environment() {
            EngineTls::None => Ok(Box::new(tokio::net::TcpStream::connect(address).await?)),
            EngineTls::Tls { verify, dir } => Ok(Box::new(
                super::engine_tls::connect(address, (verify, &dir)).await?,
            )),
        }
    } else if let Some(target) = host.strip_prefix("ssh://") {
        Ok(Box::new(SshDial::start(target)?))
    } else {
        Err(std::io::Error::other(format!(
            "cannot reach the engine at {host} here"
        )))
    }
}

/// A connection to an engine over SSH: `ssh` running `docker system
/// dial-stdio` on the far side, its standard input and output the
/// connection; the child goes with it.
struct SshDial {
    pipes: tokio::io::Join<tokio::process::ChildStdout, tokio::process::ChildStdin>,
    _child: tokio::process::Child,
}

impl SshDial {
    /// `target` is `[user@]host[:port][/path]`, as in `ssh://` addresses.
    fn start(target: &str) -> std::io::Result<SshDial> {
        let authority = target.split('/').next().unwrap_or(target);
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, rest)) => (Some(user), rest),
            None => (None, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok() => (host, Some(port)),
            _ => (host_port, None),
        };
        let mut command = tokio::process::Command::new("ssh");
        command.args(["-o", "ConnectTimeout=30", "-T"]);
        if let Some(user) = user {
            command.args(["-l", user]);
        }
        if let Some(port) = port {
            command.args(["-p", port]);
        }
        let mut child = command
            .args(["--", host, "docker", "system", "dial-stdio"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let pipes = tokio::io::join(
            child.stdout.take().expect("stdout was piped"),
            child.stdin.take().expect("stdin was piped"),
        );
        Ok(SshDial {
            pipes,
            _child: child,
        })
    }
}

impl AsyncRead for SshDial {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.pipes).poll_read(cx, buf)
    }
}

impl AsyncWrite for SshDial {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.pipes).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.pipes).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.pipes).poll_shutdown(cx)
    }
}

/// An answer: the status code and the body (de-chunked).
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// Sends one request without a body to the engine at `host`; its answer,
/// read to the end (the connection closes after it).
pub async fn call(
    host: &str,
    (method, path): (&str, &str),
    headers: &[(&str, &str)],
) -> std::io::Result<Answer> {
    let mut connection = connect(host).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Content-Length: 0\r\n\r\n");
    connection.write_all(head.as_bytes()).await?;
    connection.flush().await?;
    let mut raw = Vec::new();
    connection.read_to_end(&mut raw).await?;
    parse_answer(&raw).ok_or_else(|| std::io::Error::other("the engine sent no HTTP answer"))
}

/// Splits a raw HTTP/1.1 answer into its status and body, undoing a
/// chunked transfer encoding.
pub fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Some(Answer { status, body })
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            body.push_str(&after[..size.min(after.len())]);
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_answers_are_put_back_together() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let answer = parse_answer(raw).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, "hello world");
        let plain = parse_answer(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!((plain.status, plain.body.as_str()), (404, "{}"));
        assert!(parse_answer(b"garbage").is_none());
    }
}
