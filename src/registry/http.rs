//! The registry client over HTTP(S).
//!
//! Plain HTTP is used only for registries on this machine (a host that
//! resolves to loopback addresses only), as a local test registry is;
//! everything else is HTTPS.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::auth::{Challenge, parse_challenge};
use super::{Deletion, Presence, Registry};
use crate::credential::credentials_for;
use crate::credential::{Credential, RegistryHost};
use crate::model::Reference;
use futures_util::future::BoxFuture;

/// Manifest types a HEAD accepts: single images and indexes, OCI and Docker.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// A registry client with a shared connection pool.
#[derive(Debug, Clone)]
pub struct HttpRegistry {
    client: reqwest::Client,
}

impl Default for HttpRegistry {
    fn default() -> Self {
        HttpRegistry {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(10))
                .build()
                // Invariant: building a client only fails when no TLS
                // backend exists, which the crate's features rule out.
                .expect("HTTP client with TLS"),
        }
    }
}

/// Where a reference's manifest lives.
struct Target {
    host: RegistryHost,
    base: String,
    repository: String,
    reference: String,
}

async fn target(text: &str) -> Result<Target, String> {
    let parsed = Reference::parse(text)?;
    let host = parsed.registry();
    let endpoint = host.api_endpoint().to_owned();
    let repository = match (&parsed.domain, parsed.path.contains('/')) {
        (None, false) => format!("library/{}", parsed.path),
        _ => parsed.path.clone(),
    };
    let reference = parsed
        .digest
        .clone()
        .or_else(|| parsed.tag.clone())
        .unwrap_or_else(|| "latest".to_owned());
    let scheme = if is_local(&endpoint).await {
        "http"
    } else {
        "https"
    };
    Ok(Target {
        host,
        base: format!("{scheme}://{endpoint}"),
        repository,
        reference,
    })
}

/// Whether `host` (with optional port) resolves to loopback addresses only.
async fn is_local(host: &str) -> bool {
    let with_port = if host.starts_with('[') && host.contains("]:")
        || (!host.starts_with('[') && host.contains(':'))
    {
        host.to_owned()
    } else {
        format!("{host}:443")
    };
    match tokio::net::lookup_host(with_port).await {
        Ok(addresses) => {
            let addresses: Vec<_> = addresses.collect();
            !addresses.is_empty() && addresses.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

impl HttpRegistry {
    /// Sends `method` to the manifest URL, answering one auth challenge.
    async fn send(
        &self,
        method: Method,
        target: &Target,
        actions: &str,
        credentials: &[Credential],
    ) -> Result<reqwest::Response, String> {
        let path = format!("manifests/{}", target.reference);
        self.send_to(method, target, &path, actions, credentials)
            .await
    }

    /// `send` for any path below the repository (`tags/list`, ...).
    async fn send_to(
        &self,
        method: Method,
        target: &Target,
        path: &str,
        actions: &str,
        credentials: &[Credential],
    ) -> Result<reqwest::Response, String> {
        let url = format!("{}/v2/{}/{path}", target.base, target.repository);
        let request = || {
            self.client
                .request(method.clone(), &url)
                .header("Accept", MANIFEST_TYPES)
        };
        let first = request().send().await.map_err(|e| describe(&e))?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return Ok(first);
        }
        let challenge = first
            .headers()
            .get("www-authenticate")
            .and_then(|h| h.to_str().ok())
            .and_then(parse_challenge);
        let login = credentials_for(&target.host, credentials);
        match challenge {
            Some(Challenge::Basic) => match login {
                Some((user, password)) => request()
                    .basic_auth(user, Some(password))
                    .send()
                    .await
                    .map_err(|e| describe(&e)),
                None => Ok(first),
            },
            Some(Challenge::Bearer { realm, service }) => {
                let scope = format!("repository:{}:{actions}", target.repository);
                let token = self
                    .bearer_token(&realm, service.as_deref(), &scope, login)
                    .await?;
                request()
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(|e| describe(&e))
            }
            None => Ok(first),
        }
    }

    /// A token for `scope` from the registry's token service at `realm`,
    /// with the login if there is one.
    async fn bearer_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        login: Option<(String, String)>,
    ) -> Result<String, String> {
        let mut url = format!(
            "{realm}{}scope={}",
            if realm.contains('?') { '&' } else { '?' },
            encode(scope)
        );
        if let Some(service) = service {
            url.push_str(&format!("&service={}", encode(service)));
        }
        let mut token_request = self.client.get(&url);
        if let Some((user, password)) = login {
            token_request = token_request.basic_auth(user, Some(password));
        }
        let answer = token_request.send().await.map_err(|e| describe(&e))?;
        if !answer.status().is_success() {
            return Err(format!(
                "the registry's token service answered {}",
                answer.status()
            ));
        }
        let body: serde_json::Value = answer.json_value().await?;
        Ok(body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or("the registry's token service sent no token")?
            .to_owned())
    }
}

/// Reads a JSON body without reqwest's `json` feature.
trait JsonBody {
    async fn json_value(self) -> Result<serde_json::Value, String>;
}

impl JsonBody for reqwest::Response {
    async fn json_value(self) -> Result<serde_json::Value, String> {
        let bytes = self.bytes().await.map_err(|e| describe(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the registry sent malformed JSON: {e}"))
    }
}

/// Percent-encodes a query parameter value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn describe(error: &reqwest::Error) -> String {
    // reqwest's top-level message is terse; the source chain says why.
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

impl Registry for HttpRegistry {
    fn head<'a>(
        &'a self,
        reference: &'a str,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Presence> {
        Box::pin(async move {
            let target = match target(reference).await {
                Ok(target) => target,
                Err(e) => return Presence::Unknown(e),
            };
            match self.send(Method::HEAD, &target, "pull", credentials).await {
                Ok(response) => match response.status() {
                    s if s.is_success() => Presence::Found(
                        response
                            .headers()
                            .get("docker-content-digest")
                            .and_then(|d| d.to_str().ok())
                            .map(str::to_owned),
                    ),
                    StatusCode::NOT_FOUND => Presence::Missing,
                    s => Presence::Unknown(format!("the registry answered {s}")),
                },
                Err(e) => Presence::Unknown(e),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        reference: &'a str,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Deletion> {
        Box::pin(async move {
            let target = match target(reference).await {
                Ok(target) => target,
                Err(e) => return Deletion::Failed(e),
            };
            match self
                .send(Method::DELETE, &target, "pull,push,delete", credentials)
                .await
            {
                Ok(response) => match response.status() {
                    s if s.is_success() => Deletion::Deleted,
                    StatusCode::NOT_FOUND => Deletion::AlreadyGone,
                    s => Deletion::Failed(format!("the registry answered {s}")),
                },
                Err(e) => Deletion::Failed(e),
            }
        })
    }

    fn tags_at<'a>(
        &'a self,
        reference: &'a str,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Result<Vec<String>, String>> {
        Box::pin(async move {
            let target = target(reference).await?;
            let response = self
                .send_to(Method::GET, &target, "tags/list", "pull", credentials)
                .await?;
            if !response.status().is_success() {
                return Err(format!(
                    "listing tags: the registry answered {}",
                    response.status()
                ));
            }
            let bytes = response.bytes().await.map_err(|e| describe(&e))?;
            let listed: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| format!("the registry sent malformed JSON: {e}"))?;
            let mut found = Vec::new();
            for tag in listed["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str())
            {
                let tagged = format!("{}/{}:{tag}", target.host, target.repository);
                if let Presence::Found(Some(digest)) = self.head(&tagged, credentials).await
                    && digest == target.reference
                {
                    found.push(tag.to_owned());
                }
            }
            Ok(found)
        })
    }
}
