//! Check of the `ssh` entries against this machine, as the official
//! provider checks them (BuildKit's agent provider set up at Check): each id
//! once; no `paths` needs an agent at `SSH_AUTH_SOCK`; each path exists and
//! is one agent socket or private key files that need no passphrase, never
//! both. What would only fail the build fails the preview, on its entry.

use std::path::Path;

use crate::failure::InputFailure;
use crate::wire::PropertyPath;

use super::args::Ssh;

/// What BuildKit's client reads of a key file at most.
const KEY_FILE_LIMIT: u64 = 100 * 1024;

/// Every failure of `entries`; relative paths resolve against `base`,
/// an entry without paths against `agent` (the value of `SSH_AUTH_SOCK`).
pub(super) fn check_ssh(entries: &[Ssh], base: &Path, agent: Option<&str>) -> Vec<InputFailure> {
    let mut failures = Vec::new();
    let mut ids = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = PropertyPath::key("ssh").index(i);
        // No id is BuildKit's default one; an id with `=` fails at the
        // parse, and nothing more is said of its entry.
        let id = match entry.id.as_str() {
            "" => "default",
            id if id.contains('=') => continue,
            id => id,
        };
        if ids.contains(&id) {
            failures.push(InputFailure::new(
                path.field("id"),
                format!("the id `{id}` is given twice; each entry needs its own"),
            ));
            continue;
        }
        ids.push(id);
        failures.extend(check_entry(entry, &path, base, agent).err());
    }
    failures
}

/// One entry: its agent or its key files.
fn check_entry(
    entry: &Ssh,
    path: &PropertyPath,
    base: &Path,
    agent: Option<&str>,
) -> Result<(), InputFailure> {
    if entry.paths.iter().all(String::is_empty) {
        let Some(socket) = agent.filter(|s| !s.is_empty()) else {
            return Err(InputFailure::new(
                path.clone(),
                "names no socket or key files and SSH_AUTH_SOCK is not set: start an agent, or give `paths`",
            ));
        };
        return std::fs::metadata(socket).map(drop).map_err(|e| {
            InputFailure::new(
                path.clone(),
                format!("the agent at SSH_AUTH_SOCK ({socket}) is not there: {e}"),
            )
        });
    }
    let (mut sockets, mut keys) = (0, 0);
    for (j, file) in entry.paths.iter().enumerate() {
        let at = path.field("paths").index(j);
        let fail = |why: String| InputFailure::new(at.clone(), why);
        let full = base.join(file);
        let metadata =
            std::fs::metadata(&full).map_err(|e| fail(format!("`{file}` cannot be read: {e}")))?;
        if std::os::unix::fs::FileTypeExt::is_socket(&metadata.file_type()) {
            sockets += 1;
            continue;
        }
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&full).and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, KEY_FILE_LIMIT), &mut bytes)
        });
        read.map_err(|e| fail(format!("`{file}` cannot be read: {e}")))?;
        private_key(&bytes).map_err(|why| fail(format!("`{file}` {why}")))?;
        keys += 1;
    }
    match (sockets, keys) {
        (2.., _) => Err(InputFailure::new(
            path.field("paths"),
            "one agent socket at most: give each agent its own entry",
        )),
        (1, 1..) => Err(InputFailure::new(
            path.field("paths"),
            "an agent socket and key files cannot be mixed in one entry",
        )),
        _ => Ok(()),
    }
}

/// Whether `bytes` hold a private key an agent takes without asking for
/// a passphrase, in a format OpenSSH and Go's `ssh` package both read:
/// PEM (`RSA`, `EC`, `DSA`, PKCS#8) or OpenSSH's own. Only the framing is
/// read; a key whose body is damaged is refused by the build's agent.
fn private_key(bytes: &[u8]) -> Result<(), &'static str> {
    let text = String::from_utf8_lossy(bytes);
    let Some(block) = pem_block(&text) else {
        return Err("is not a private key (no PEM block)");
    };
    match block.kind {
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "PRIVATE KEY"
            if block.encrypted =>
        {
            Err(PASSPHRASE)
        }
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "PRIVATE KEY" => Ok(()),
        "OPENSSH PRIVATE KEY" => match openssh_cipher(block.body) {
            Some(cipher) if cipher == b"none" => Ok(()),
            Some(_) => Err(PASSPHRASE),
            None => Err("is not a private key OpenSSH can read"),
        },
        "ENCRYPTED PRIVATE KEY" => Err(PASSPHRASE),
        _ => Err("is a PEM block of a kind that is no private key an agent takes"),
    }
}

const PASSPHRASE: &str = "is a private key behind a passphrase, which a build cannot be asked for: add it to an agent and give the agent's socket (or SSH_AUTH_SOCK) instead";

/// The first PEM block of a text.
struct PemBlock<'a> {
    kind: &'a str,
    encrypted: bool,
    body: String,
}

fn pem_block(text: &str) -> Option<PemBlock<'_>> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let (kind, rest) = text[start..].split_once("-----")?;
    let end = rest.find(&format!("-----END {kind}-----"))?;
    let inner = &rest[..end];
    // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) come before a blank line.
    let (headers, body) = match inner.find("\n\n").or_else(|| inner.find("\r\n\r\n")) {
        Some(at) if inner[..at].contains(':') => (&inner[..at], &inner[at..]),
        _ => ("", inner),
    };
    Some(PemBlock {
        kind,
        encrypted: headers.contains("ENCRYPTED"),
        body: body.split_whitespace().collect(),
    })
}

/// The cipher of an OpenSSH private key (`none` when not encrypted).
fn openssh_cipher(body: String) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    let rest = raw.strip_prefix(b"openssh-key-v1\0")?;
    let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    rest.get(4..4 + length).map(<[u8]>::to_vec)
}

#[cfg(test)]
#[path = "ssh_check_tests.rs"]
mod tests;
