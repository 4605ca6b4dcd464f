//! Which Docker engine a build talks to when the provider names none.

/// The engine a build without `host` uses: `DOCKER_HOST`, else Docker's
/// default socket.
pub fn effective_host(host: Option<&str>) -> String {
    host.filter(|h| !h.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned())
}
