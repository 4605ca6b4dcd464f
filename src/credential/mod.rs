//! Registry hosts and the logins for them: the one notion of "which
//! registry" shared by the build session's login answers, the registry
//! client, ECR and the provider's credential precedence.
//!
//! Docker Hub goes by several names (`docker.io`, `index.docker.io`,
//! `registry-1.docker.io`, and `https://index.docker.io/v1/`, the key
//! `docker login` writes); they are one [`RegistryHost`] here, so a login
//! stored under any of them is found for any other. [`host_config`] reads
//! the host's own Docker configuration; the rest is plain data. This room
//! knows nothing of gRPC or buildx.

pub mod host_config;

use std::fmt;

pub use host_config::{credentials_for, host_config_dir, host_has_login};

/// Docker Hub's canonical name.
const DOCKER_HUB: &str = "docker.io";

/// Names Docker Hub also goes by.
const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// A registry host (with port, if any), Docker Hub's aliases made one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistryHost(String);

impl RegistryHost {
    /// The host an address names: a bare host, a repository
    /// (`r.example/team/app`) or a URL (`https://index.docker.io/v1/`).
    pub fn parse(address: &str) -> RegistryHost {
        let address = address.trim();
        let without_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
        let host = without_scheme.split('/').next().unwrap_or(without_scheme);
        if DOCKER_HUB_ALIASES.contains(&host.to_ascii_lowercase().as_str()) {
            RegistryHost(DOCKER_HUB.to_owned())
        } else {
            RegistryHost(host.to_owned())
        }
    }

    /// The canonical name (`docker.io` for Docker Hub).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.0 == DOCKER_HUB
    }

    /// The host that answers the registry API.
    pub fn api_endpoint(&self) -> &str {
        if self.is_docker_hub() {
            "registry-1.docker.io"
        } else {
            &self.0
        }
    }

    /// The key Docker's configuration files and credential helpers use
    /// for this host (what `docker login` writes).
    pub fn config_key(&self) -> String {
        if self.is_docker_hub() {
            "https://index.docker.io/v1/".to_owned()
        } else {
            self.0.clone()
        }
    }

    /// Every key a Docker tool may look this host up by in
    /// `credHelpers`: the `docker login` key, and for Docker Hub each of
    /// its names (tools differ in which they ask for).
    pub fn config_keys(&self) -> Vec<String> {
        if self.is_docker_hub() {
            let mut keys = vec![self.config_key()];
            keys.extend(DOCKER_HUB_ALIASES.iter().map(|alias| (*alias).to_owned()));
            keys
        } else {
            vec![self.0.clone()]
        }
    }

    /// Whether a key of a Docker configuration (`auths`, `credHelpers`)
    /// names this host.
    pub fn is_named_by(&self, key: &str) -> bool {
        RegistryHost::parse(key) == *self
    }
}

impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login for one registry host.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The registry host.
    pub host: RegistryHost,
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password, whoever logs this.
        f.debug_struct("Credential")
            .field("host", &self.host)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hubs_names_are_one_host() {
        let hub = RegistryHost::parse("docker.io");
        for alias in [
            "index.docker.io",
            "registry-1.docker.io",
            "https://index.docker.io/v1/",
            "docker.io/library/busybox",
            "Index.Docker.IO",
        ] {
            assert_eq!(RegistryHost::parse(alias), hub, "{alias}");
            assert!(hub.is_named_by(alias), "{alias}");
        }
        assert_eq!(hub.api_endpoint(), "registry-1.docker.io");
        assert_eq!(hub.config_key(), "https://index.docker.io/v1/");
    }

    #[test]
    fn other_addresses_reduce_to_their_host() {
        for (address, host) in [
            (
                "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repo",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            ),
            ("127.0.0.1:5000/app", "127.0.0.1:5000"),
            ("r.example", "r.example"),
            (" r.example/team ", "r.example"),
        ] {
            let parsed = RegistryHost::parse(address);
            assert_eq!(parsed.as_str(), host);
            assert_eq!(parsed.config_key(), host);
            assert_eq!(parsed.api_endpoint(), host);
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let credential = Credential {
            host: RegistryHost::parse("r"),
            username: "u".into(),
            password: "t0ken".into(),
        };
        assert!(!format!("{credential:?}").contains("t0ken"));
    }
}
