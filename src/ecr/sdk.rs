//! The real [`Ecr`]: aws-sdk-ecr with aws-config's default chain, one
//! client per region, tokens cached until five minutes before expiry.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;
use base64::Engine as _;
use tokio::sync::Mutex;

use super::{Ecr, EcrError, EcrRegistry, EcrToken, RepositoryState};
use futures_util::future::BoxFuture;

/// How long before its expiry a cached token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// ECR through the AWS SDK.
#[derive(Default)]
pub struct SdkEcr {
    clients: Mutex<HashMap<String, aws_sdk_ecr::Client>>,
    tokens: Mutex<HashMap<EcrRegistry, (EcrToken, SystemTime)>>,
}

impl SdkEcr {
    async fn client(&self, region: &str) -> Result<aws_sdk_ecr::Client, String> {
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(region) {
            return Ok(client.clone());
        }
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .load()
            .await;
        // Resolve credentials up front so a missing one is reported as
        // such, not as an opaque dispatch failure.
        let provider = config
            .credentials_provider()
            .ok_or("no credential provider")?;
        provider
            .provide_credentials()
            .await
            .map_err(|e| format!("{e}"))?;
        let client = aws_sdk_ecr::Client::new(&config);
        clients.insert(region.to_owned(), client.clone());
        Ok(client)
    }
}

/// An authorization token as ECR encodes it: base64 of `user:password`.
fn decode_token(encoded: &str) -> Option<EcrToken> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    Some(EcrToken {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

impl Ecr for SdkEcr {
    fn token<'a>(&'a self, registry: &'a EcrRegistry) -> BoxFuture<'a, Result<EcrToken, EcrError>> {
        Box::pin(async move {
            if let Some((token, expires)) = self.tokens.lock().await.get(registry)
                && SystemTime::now() + REFRESH_MARGIN < *expires
            {
                return Ok(token.clone());
            }
            let client =
                self.client(&registry.region)
                    .await
                    .map_err(|_| EcrError::NoCredentials {
                        host: registry.host.clone(),
                    })?;
            let answer =
                client
                    .get_authorization_token()
                    .send()
                    .await
                    .map_err(|e| EcrError::Api {
                        host: registry.host.clone(),
                        detail: aws_sdk_ecr::error::DisplayErrorContext(&e).to_string(),
                    })?;
            let data = answer
                .authorization_data()
                .first()
                .ok_or_else(|| EcrError::Api {
                    host: registry.host.clone(),
                    detail: "no authorization data".into(),
                })?;
            let token =
                decode_token(data.authorization_token().unwrap_or_default()).ok_or_else(|| {
                    EcrError::Api {
                        host: registry.host.clone(),
                        detail: "malformed authorization token".into(),
                    }
                })?;
            let expires = data
                .expires_at()
                .and_then(|t| SystemTime::try_from(*t).ok());
            // A token that claims to have expired already (clock skew, or a
            // stand-in's fixed date) is used now and fetched again next time.
            match expires {
                Some(expires) if expires > SystemTime::now() + REFRESH_MARGIN => {
                    self.tokens
                        .lock()
                        .await
                        .insert(registry.clone(), (token.clone(), expires));
                }
                _ => {
                    self.tokens.lock().await.remove(registry);
                }
            }
            Ok(token)
        })
    }

    fn repository<'a>(
        &'a self,
        registry: &'a EcrRegistry,
        repository: &'a str,
    ) -> BoxFuture<'a, RepositoryState> {
        Box::pin(async move {
            let client = match self.client(&registry.region).await {
                Ok(client) => client,
                Err(e) => return RepositoryState::Unknown(e),
            };
            let answer = client
                .describe_repositories()
                .registry_id(&registry.account)
                .repository_names(repository)
                .send()
                .await;
            match answer {
                Ok(found) => match found
                    .repositories()
                    .first()
                    .and_then(|r| r.image_tag_mutability())
                {
                    Some(mutability) if mutability.as_str().starts_with("IMMUTABLE") => {
                        RepositoryState::Immutable
                    }
                    Some(_) => RepositoryState::Mutable,
                    None if found.repositories().is_empty() => RepositoryState::Missing,
                    None => RepositoryState::Mutable,
                },
                Err(e) => {
                    let missing = e
                        .as_service_error()
                        .is_some_and(|s| s.is_repository_not_found_exception());
                    if missing {
                        RepositoryState::Missing
                    } else {
                        RepositoryState::Unknown(
                            aws_sdk_ecr::error::DisplayErrorContext(&e).to_string(),
                        )
                    }
                }
            }
        })
    }
}

/// AWS credentials from the default chain (environment, profile, SSO,
/// instance or task role), as buildx fills an S3 cache entry that names
/// none: (access key id, secret access key, session token).
pub async fn default_aws_credentials() -> Option<(String, String, Option<String>)> {
    use aws_credential_types::provider::ProvideCredentials as _;
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let credentials = config
        .credentials_provider()?
        .provide_credentials()
        .await
        .ok()?;
    Some((
        credentials.access_key_id().to_owned(),
        credentials.secret_access_key().to_owned(),
        credentials.session_token().map(str::to_owned),
    ))
}
