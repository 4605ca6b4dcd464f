//! Which registry credentials an operation uses, in order of precedence:
//! the host's Docker configuration, then the provider's `registries`, then
//! the image's own `registries`; and for AWS ECR hosts with none of those
//! in the program, a fresh token from ECR itself.

use std::collections::BTreeSet;

use super::{Provider, ProviderError};
use crate::credential::{Credential, RegistryHost};
use crate::ecr::{EcrError, parse_ecr_host};
use crate::model::RegistryLogin;

/// The registry credentials of an operation: provider-wide first, then the
/// image's own (which win for the same host). Entries without a password
/// add nothing: the host's Docker configuration covers those hosts.
pub fn credentials(provider: &[RegistryLogin], image: &[RegistryLogin]) -> Vec<Credential> {
    let mut merged: Vec<Credential> = Vec::new();
    for registry in provider.iter().chain(image) {
        let (Some(username), Some(password)) = (&registry.username, &registry.password) else {
            continue;
        };
        let host = RegistryHost::parse(&registry.address);
        merged.retain(|c| c.host != host);
        merged.push(Credential {
            host,
            username: username.clone(),
            password: password.clone(),
        });
    }
    merged
}

/// Whether `credential`s hold one for `host`.
fn has(credentials: &[Credential], host: &RegistryHost) -> bool {
    credentials.iter().any(|c| c.host == *host)
}

impl Provider {
    /// Adds ECR tokens for the ECR hosts among `hosts`. With `fresh`
    /// (refresh, delete) a token replaces credentials that came from
    /// state, which may have expired; otherwise credentials the program
    /// gave win.
    pub async fn with_ecr_tokens(
        &self,
        mut credentials: Vec<Credential>,
        hosts: &BTreeSet<RegistryHost>,
        fresh: bool,
    ) -> Result<Vec<Credential>, ProviderError> {
        for host in hosts {
            let Some(registry) = parse_ecr_host(host.as_str()) else {
                continue;
            };
            if has(&credentials, host) && !fresh {
                continue;
            }
            match self.ecr.token(&registry).await {
                Ok(token) => {
                    tracing::debug!("using an ECR token for {host}");
                    credentials.retain(|c| c.host != *host);
                    credentials.push(Credential {
                        host: host.clone(),
                        username: token.username,
                        password: token.password,
                    });
                }
                Err(error) if has(&credentials, host) => {
                    tracing::debug!(
                        "no fresh ECR token for {host} ({error}); using the stored credentials"
                    );
                }
                Err(EcrError::NoCredentials { .. }) if crate::credential::host_has_login(host) => {
                    tracing::debug!(
                        "no AWS credentials; using the Docker configuration's login for {host}"
                    );
                }
                Err(error) => return Err(ProviderError::Ecr(error)),
            }
        }
        Ok(credentials)
    }
}

/// A registry `address` written as a URL works (its host is used), but
/// tools that pass it on verbatim fail; say what is used instead. A login
/// without an address serves no registry (the official provider takes it
/// as silently); say so.
pub fn warn_about_url_addresses(property: &str, registries: &[crate::model::RegistryLogin]) {
    for (i, registry) in registries.iter().enumerate() {
        let host = crate::credential::RegistryHost::parse(&registry.address);
        if registry.address.trim().is_empty() {
            tracing::warn!("{property}[{i}] has no `address`: it is the login of no registry");
        } else if registry.address.trim().contains('/') {
            tracing::warn!(
                "{property}[{i}].address `{}` is a URL, not a registry host: using `{host}`",
                registry.address
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_credentials_win_over_provider_ones() {
        let provider = [RegistryLogin {
            address: "r.example".into(),
            username: Some("a".into()),
            password: Some("1".into()),
        }];
        let image = [
            RegistryLogin {
                address: "https://r.example/team".into(),
                username: Some("b".into()),
                password: Some("2".into()),
            },
            RegistryLogin {
                address: "other.example".into(),
                username: Some("c".into()),
                password: None,
            },
        ];
        let merged = credentials(&provider, &image);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            (
                merged[0].host.as_str(),
                merged[0].username.as_str(),
                merged[0].password.as_str()
            ),
            ("r.example", "b", "2")
        );
    }
}
