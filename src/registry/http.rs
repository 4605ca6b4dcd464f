//! The registry client over HTTP(S).
//!
//! Plain HTTP is used only for registries on this machine (a host that
//! resolves to loopback addresses only), as a local test registry is;
//! everything else is HTTPS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::auth::{Challenge, parse_challenge};
use super::{Deletion, JoinJob, Joined, Presence, Registry};
use crate::credential::credentials_for;
use crate::credential::{Credential, RegistryHost};
use crate::model::Reference;
use futures_util::future::BoxFuture;

/// Manifest types a HEAD accepts: single images and indexes, OCI and Docker.
pub(super) const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// A registry client with a shared connection pool, remembering how each
/// registry wanted to be asked (a bearer token per scope, or a password) so
/// that only the first request of a scope meets a challenge.
#[derive(Debug, Clone)]
pub struct HttpRegistry {
    client: reqwest::Client,
    answers: Arc<Mutex<HashMap<AnswerKey, Answer>>>,
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
            answers: Arc::default(),
        }
    }
}

/// Which challenge an answer is for: the registry, the scope and the
/// call's own login for that registry (`None`: the host's Docker
/// configuration answers; kept in memory only, never logged).
#[derive(Clone, PartialEq, Eq, Hash)]
struct AnswerKey {
    base: String,
    scope: String,
    login: Option<(String, String)>,
}

impl std::fmt::Debug for AnswerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.base, self.scope)
    }
}

/// How a challenge was answered.
#[derive(Clone)]
enum Answer {
    /// The login to send.
    Basic(String, String),
    /// The token to send.
    Bearer(String),
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Answer::Basic(..) => "Basic",
            Answer::Bearer(_) => "Bearer",
        })
    }
}

/// Where a reference's manifest lives.
pub(super) struct Target {
    pub(super) host: RegistryHost,
    pub(super) base: String,
    pub(super) repository: String,
    pub(super) reference: String,
}

impl Target {
    /// The scope a token for `actions` on this repository is asked for.
    pub(super) fn scope(&self, actions: &str) -> String {
        format!("repository:{}:{actions}", self.repository)
    }
}

/// One request below a repository (`manifests/..`, `blobs/..`) or to an
/// upload location the registry gave.
pub(super) struct Call<'a> {
    pub(super) method: Method,
    pub(super) target: &'a Target,
    /// Below `/v2/<repository>/`, or an upload location (absolute, or
    /// absolute-path as the registry sent it).
    pub(super) path: String,
    /// The token scopes the request needs (one or, for a mount, two).
    pub(super) scopes: Vec<String>,
    pub(super) accept: &'static str,
    pub(super) body: Option<(bytes::Bytes, String)>,
    pub(super) headers: Vec<(&'static str, String)>,
}

impl<'a> Call<'a> {
    /// A request without a body.
    pub(super) fn new(method: Method, target: &'a Target, path: String, actions: &str) -> Self {
        Call {
            method,
            scopes: vec![target.scope(actions)],
            target,
            path,
            accept: MANIFEST_TYPES,
            body: None,
            headers: Vec::new(),
        }
    }
}

pub(super) async fn target(parsed: &Reference) -> Target {
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
    Target {
        host,
        base: format!("{scheme}://{endpoint}"),
        repository,
        reference,
    }
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
        self.call(Call::new(method, target, path, actions), credentials)
            .await
    }

    /// Sends `call`, with the answer that worked for its scope before; on
    /// a challenge, answers it (once) and remembers the answer.
    pub(super) async fn call(
        &self,
        call: Call<'_>,
        credentials: &[Credential],
    ) -> Result<reqwest::Response, String> {
        let target = call.target;
        let url = if call.path.starts_with("http://") || call.path.starts_with("https://") {
            call.path.clone()
        } else if call.path.starts_with('/') {
            format!("{}{}", target.base, call.path)
        } else {
            format!("{}/v2/{}/{}", target.base, target.repository, call.path)
        };
        // The call's own login picks the remembered answer; the host's
        // configuration (maybe a credential helper process) is asked only
        // when the registry challenges.
        let own = credentials
            .iter()
            .find(|c| c.host == target.host)
            .map(|c| (c.username.clone(), c.password.clone()));
        let key = AnswerKey {
            base: target.base.clone(),
            scope: call.scopes.join(" "),
            login: own,
        };
        let remembered = self.remembered(&key);
        let first = self
            .request(&call, &url, remembered.as_ref())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return Ok(first);
        }
        let challenge = first
            .headers()
            .get("www-authenticate")
            .and_then(|h| h.to_str().ok())
            .and_then(parse_challenge);
        let login = credentials_for(&target.host, credentials);
        let answer = match (challenge, login) {
            (Some(Challenge::Basic), Some((user, password))) => Answer::Basic(user, password),
            (Some(Challenge::Bearer { realm, service }), login) => Answer::Bearer(
                self.bearer_token(&realm, service.as_deref(), &call.scopes, login)
                    .await?,
            ),
            _ => return Ok(first),
        };
        let answered = self
            .request(&call, &url, Some(&answer))
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if answered.status() != StatusCode::UNAUTHORIZED {
            self.remember(key, answer);
        }
        Ok(answered)
    }

    fn remembered(&self, key: &AnswerKey) -> Option<Answer> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = answers.get(key) {
            return Some(found.clone());
        }
        // A password answers every scope of its registry.
        answers
            .iter()
            .find(|(k, a)| {
                k.base == key.base && k.login == key.login && matches!(a, Answer::Basic(..))
            })
            .map(|(_, a)| a.clone())
    }

    fn remember(&self, key: AnswerKey, answer: Answer) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers.insert(key, answer);
    }

    fn request(
        &self,
        call: &Call<'_>,
        url: &str,
        answer: Option<&Answer>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .request(call.method.clone(), url)
            .header("Accept", call.accept);
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        if let Some((body, content_type)) = &call.body {
            request = request
                .header("Content-Type", content_type)
                .body(body.clone());
        }
        match answer {
            Some(Answer::Bearer(token)) => request.bearer_auth(token),
            Some(Answer::Basic(user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    /// A token for `scopes` from the registry's token service at `realm`,
    /// with the login if there is one.
    async fn bearer_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        login: Option<(String, String)>,
    ) -> Result<String, String> {
        let mut url = realm.to_owned();
        let mut separator = if realm.contains('?') { '&' } else { '?' };
        for scope in scopes {
            url.push_str(&format!("{separator}scope={}", encode(scope)));
            separator = '&';
        }
        if let Some(service) = service {
            url.push_str(&format!("{separator}service={}", encode(service)));
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
pub(super) trait JsonBody {
    async fn json_value(self) -> Result<serde_json::Value, String>;
}

impl JsonBody for reqwest::Response {
    async fn json_value(self) -> Result<serde_json::Value, String> {
        let bytes = self.bytes().await.map_err(|e| describe(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the registry sent malformed JSON: {e}"))
    }
}

/// Percent-encodes a query parameter value.
pub(super) fn encode(value: &str) -> String {
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

pub(super) fn describe(error: &reqwest::Error) -> String {
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
        reference: &'a Reference,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Presence> {
        Box::pin(async move {
            let target = target(reference).await;
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
        reference: &'a Reference,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Deletion> {
        Box::pin(async move {
            let target = target(reference).await;
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
        reference: &'a Reference,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Result<Vec<String>, String>> {
        Box::pin(async move {
            let target = target(reference).await;
            let list = Call::new(Method::GET, &target, "tags/list".into(), "pull");
            let response = self.call(list, credentials).await?;
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
                let tagged = reference.tagged(tag);
                if let Presence::Found(Some(digest)) = self.head(&tagged, credentials).await
                    && digest == target.reference
                {
                    found.push(tag.to_owned());
                }
            }
            Ok(found)
        })
    }

    fn join<'a>(&'a self, job: JoinJob<'a>) -> BoxFuture<'a, Result<Joined, String>> {
        Box::pin(self.join_images(job))
    }
}
