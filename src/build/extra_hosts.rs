//! `addHosts` entries as buildx reads them: `host:ip` or `host=ip`, several
//! addresses separated by commas, an IPv6 address in brackets, or
//! `host-gateway` for the Docker engine's host. Check validates with
//! [`split`]; the build renders the same split as BuildKit's `host=ip`
//! pairs.

/// The address `addHosts` may give for the Docker engine's host, which the
/// engine's builder names in a worker label.
pub const HOST_GATEWAY: &str = "host-gateway";

/// An entry's name and its addresses (brackets taken off), split at the
/// first `=`, else the first `:`; `None` when it has neither.
pub fn split(entry: &str) -> Option<(&str, Vec<&str>)> {
    let (host, addresses) = entry.split_once('=').or_else(|| entry.split_once(':'))?;
    let addresses = (addresses.split(','))
        .map(|a| (a.strip_prefix('[').and_then(|a| a.strip_suffix(']'))).unwrap_or(a))
        .collect();
    Some((host, addresses))
}

/// Whether `entry` names a host and only addresses (or `host-gateway`).
pub fn is_valid(entry: &str) -> bool {
    split(entry).is_some_and(|(host, addresses)| {
        !host.is_empty()
            && (addresses.iter())
                .all(|a| *a == HOST_GATEWAY || a.parse::<std::net::IpAddr>().is_ok())
    })
}

/// `entry` as BuildKit's `host=ip` pairs, one per address; `host-gateway`
/// stays for the engine to resolve. (Check has refused anything else.)
pub fn pairs(entry: &str) -> Vec<String> {
    match split(entry) {
        Some((host, addresses)) => addresses.iter().map(|a| format!("{host}={a}")).collect(),
        None => vec![entry.to_owned()],
    }
}
