//! Scripted, recording stand-ins for the provider's three outside-world
//! seams (`build::Builder`, `registry::Registry`, `ecr::Ecr`), and a
//! provider wired to them: the one set of fakes every suite uses (this
//! crate's unit tests and the in-process integration suites alike), so no
//! test carries its own copy and none reaches a real engine, registry or
//! AWS.
//!
//! Each fake answers from a script set up front (the same answer every
//! time, or answers taken in order) and records what it was asked, for the
//! test to assert on. The provider itself never uses any of it.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::build::{BuildError, BuildJob, BuildOutcome, BuildRequest, Builder};
use crate::credential::Credential;
use crate::ecr::{Ecr, EcrError, EcrRegistry, EcrToken, RepositoryState};
use crate::model::Reference;
use crate::provider::{Backends, Provider};
use crate::registry::{Deletion, JoinJob, Joined, Presence, Registry};

/// The digest fakes answer with unless told otherwise.
pub const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// The three fakes of one test, and a provider that uses them.
#[derive(Default)]
pub struct Fakes {
    /// The builder.
    pub builder: Arc<FakeBuilder>,
    /// The registry.
    pub registry: Arc<FakeRegistry>,
    /// AWS ECR.
    pub ecr: Arc<FakeEcr>,
}

impl Fakes {
    /// A provider whose program directory is `dir`, with these fakes as
    /// its backends.
    pub fn provider(&self, dir: &Path) -> Provider {
        Provider::with_backends(
            dir.to_path_buf(),
            CancellationToken::new(),
            Backends {
                builder: self.builder.clone(),
                registry: self.registry.clone(),
                ecr: self.ecr.clone(),
            },
        )
    }
}

/// What the fake builder answers one build with.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildAnswer {
    /// Built and pushed, with this digest.
    Pushed(String),
    /// The builder cannot export a cache (buildx's `docker` driver).
    CacheExportUnsupported,
    /// Refused before building, for this reason.
    Refused(String),
}

/// One build the fake builder was asked for.
#[derive(Debug, Clone)]
pub struct BuildCall {
    /// The request.
    pub request: BuildRequest,
    /// The hosts of the logins the build was given.
    pub login_hosts: Vec<String>,
}

/// A builder that records each build and answers from its script: the
/// queued answers in order, then [`BuildAnswer::Pushed`] with [`DIGEST`]
/// (or the answer set by [`FakeBuilder::always`]).
pub struct FakeBuilder {
    calls: Mutex<Vec<BuildCall>>,
    queued: Mutex<VecDeque<BuildAnswer>>,
    otherwise: Mutex<BuildAnswer>,
}

impl Default for FakeBuilder {
    fn default() -> Self {
        FakeBuilder {
            calls: Mutex::default(),
            queued: Mutex::default(),
            otherwise: Mutex::new(BuildAnswer::Pushed(DIGEST.to_owned())),
        }
    }
}

impl FakeBuilder {
    /// Answers the next builds with `answers`, in order.
    pub fn answer_next(&self, answers: impl IntoIterator<Item = BuildAnswer>) -> &Self {
        self.queued.lock().unwrap().extend(answers);
        self
    }

    /// Answers every build (after the queued ones) with `answer`.
    pub fn always(&self, answer: BuildAnswer) -> &Self {
        *self.otherwise.lock().unwrap() = answer;
        self
    }

    /// Every build asked for so far.
    pub fn calls(&self) -> Vec<BuildCall> {
        self.calls.lock().unwrap().clone()
    }

    /// Every build request so far.
    pub fn requests(&self) -> Vec<BuildRequest> {
        self.calls().into_iter().map(|c| c.request).collect()
    }

    fn answer(&self) -> BuildAnswer {
        let queued = self.queued.lock().unwrap().pop_front();
        queued.unwrap_or_else(|| self.otherwise.lock().unwrap().clone())
    }
}

impl Builder for FakeBuilder {
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>> {
        self.calls.lock().unwrap().push(BuildCall {
            request: job.request.clone(),
            login_hosts: job.credentials.iter().map(|c| c.host.to_string()).collect(),
        });
        let answer = self.answer();
        Box::pin(async move {
            match answer {
                BuildAnswer::Pushed(digest) => Ok(BuildOutcome {
                    metadata: serde_json::json!({ "containerimage.digest": digest }),
                    log: Default::default(),
                }),
                BuildAnswer::CacheExportUnsupported => Err(BuildError::CacheExportUnsupported {
                    detail: "cache export is not supported for the docker driver".into(),
                }),
                BuildAnswer::Refused(detail) => Err(BuildError::Refused { detail }),
            }
        })
    }
}

/// A registry that records every call and answers from its script: a
/// HEAD with the presence set for that reference, else the default one
/// ([`Presence::Missing`] until [`FakeRegistry::answering`]); a DELETE
/// with its set answer ([`Deletion::Deleted`]); the tags at a digest as
/// [`FakeRegistry::tagged`] sets them (none); a join with [`DIGEST`], or
/// the failure [`FakeRegistry::unreachable`] sets.
pub struct FakeRegistry {
    presence: Mutex<Presence>,
    presence_of: Mutex<Vec<(String, Presence)>>,
    deletion: Mutex<Deletion>,
    tags: Mutex<Vec<String>>,
    join_failure: Mutex<Option<String>>,
    heads: Mutex<Vec<String>>,
    deletes: Mutex<Vec<String>>,
    joins: Mutex<Vec<JoinCall>>,
}

/// One join the fake registry was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinCall {
    /// The index's tags.
    pub tags: Vec<String>,
    /// Its sources.
    pub sources: Vec<String>,
    /// Whether it was pushed.
    pub push: bool,
}

impl Default for FakeRegistry {
    fn default() -> Self {
        FakeRegistry {
            presence: Mutex::new(Presence::Missing),
            presence_of: Mutex::default(),
            deletion: Mutex::new(Deletion::Deleted),
            tags: Mutex::default(),
            join_failure: Mutex::default(),
            heads: Mutex::default(),
            deletes: Mutex::default(),
            joins: Mutex::default(),
        }
    }
}

impl FakeRegistry {
    /// Answers every HEAD without an answer of its own with `presence`.
    pub fn answering(&self, presence: Presence) -> &Self {
        *self.presence.lock().unwrap() = presence;
        self
    }

    /// Answers a HEAD of `reference` (as written) with `presence`.
    pub fn answering_for(&self, reference: &str, presence: Presence) -> &Self {
        (self.presence_of.lock().unwrap()).push((reference.to_owned(), presence));
        self
    }

    /// Answers every DELETE with `deletion`.
    pub fn deleting(&self, deletion: Deletion) -> &Self {
        *self.deletion.lock().unwrap() = deletion;
        self
    }

    /// Every digest asked about is tagged `tags` in its repository.
    pub fn tagged(&self, tags: &[&str]) -> &Self {
        *self.tags.lock().unwrap() = tags.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// A registry that cannot be reached: HEADs unknown, DELETEs and joins
    /// failed, each for `why`.
    pub fn unreachable(&self, why: &str) -> &Self {
        self.answering(Presence::Unknown(why.to_owned()))
            .deleting(Deletion::Failed(why.to_owned()));
        *self.join_failure.lock().unwrap() = Some(why.to_owned());
        self
    }

    /// Every reference asked about, in order.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// Every reference asked to be deleted, in order.
    pub fn deletes(&self) -> Vec<String> {
        self.deletes.lock().unwrap().clone()
    }

    /// Every join asked for, in order.
    pub fn joins(&self) -> Vec<JoinCall> {
        self.joins.lock().unwrap().clone()
    }
}

impl Registry for FakeRegistry {
    fn head<'a>(
        &'a self,
        reference: &'a Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Presence> {
        let text = reference.to_string();
        let own = (self.presence_of.lock().unwrap().iter())
            .find(|(r, _)| *r == text)
            .map(|(_, p)| p.clone());
        let presence = own.unwrap_or_else(|| self.presence.lock().unwrap().clone());
        self.heads.lock().unwrap().push(text);
        Box::pin(async move { presence })
    }

    fn delete<'a>(
        &'a self,
        reference: &'a Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Deletion> {
        self.deletes.lock().unwrap().push(reference.to_string());
        let deletion = self.deletion.lock().unwrap().clone();
        Box::pin(async move { deletion })
    }

    fn tags_at<'a>(
        &'a self,
        _: &'a Reference,
        _: &'a [Credential],
    ) -> BoxFuture<'a, Result<Vec<String>, String>> {
        let tags = self.tags.lock().unwrap().clone();
        Box::pin(async move { Ok(tags) })
    }

    fn join<'a>(&'a self, job: JoinJob<'a>) -> BoxFuture<'a, Result<Joined, String>> {
        self.joins.lock().unwrap().push(JoinCall {
            tags: job.tags.iter().map(ToString::to_string).collect(),
            sources: job.sources.iter().map(ToString::to_string).collect(),
            push: job.push,
        });
        let failure = self.join_failure.lock().unwrap().clone();
        Box::pin(async move {
            match failure {
                Some(why) => Err(why),
                None => Ok(Joined {
                    digest: DIGEST.to_owned(),
                    media_type: "application/vnd.oci.image.index.v1+json".into(),
                    manifest: b"{}".to_vec(),
                }),
            }
        })
    }
}

/// AWS ECR, scripted: a token for every registry (user `AWS`, password
/// [`FakeEcr::PASSWORD`]) unless [`FakeEcr::without_credentials`], and
/// every repository in the state [`FakeEcr::repositories`] sets
/// ([`RepositoryState::Mutable`] until then). Records the hosts it gave
/// tokens for and the repositories it was asked about.
pub struct FakeEcr {
    credentials: Mutex<bool>,
    repository_state: Mutex<RepositoryState>,
    tokens: Mutex<Vec<String>>,
    lookups: Mutex<Vec<String>>,
}

impl Default for FakeEcr {
    fn default() -> Self {
        FakeEcr {
            credentials: Mutex::new(true),
            repository_state: Mutex::new(RepositoryState::Mutable),
            tokens: Mutex::default(),
            lookups: Mutex::default(),
        }
    }
}

impl FakeEcr {
    /// The password of every token this fake hands out.
    pub const PASSWORD: &'static str = "fake-ecr-token";

    /// ECR as seen with no AWS credentials: no token for anyone.
    pub fn without_credentials(&self) -> &Self {
        *self.credentials.lock().unwrap() = false;
        self
    }

    /// Every repository is in `state`.
    pub fn repositories(&self, state: RepositoryState) -> &Self {
        *self.repository_state.lock().unwrap() = state;
        self
    }

    /// The hosts a token was asked for, in order.
    pub fn tokens(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }

    /// The repositories looked up, as `host/repository`, in order.
    pub fn lookups(&self) -> Vec<String> {
        self.lookups.lock().unwrap().clone()
    }
}

impl Ecr for FakeEcr {
    fn token<'a>(&'a self, registry: &'a EcrRegistry) -> BoxFuture<'a, Result<EcrToken, EcrError>> {
        self.tokens.lock().unwrap().push(registry.host.clone());
        let answer = match *self.credentials.lock().unwrap() {
            true => Ok(EcrToken {
                username: "AWS".into(),
                password: Self::PASSWORD.into(),
            }),
            false => Err(EcrError::NoCredentials {
                host: registry.host.clone(),
            }),
        };
        Box::pin(async move { answer })
    }

    fn repository<'a>(
        &'a self,
        registry: &'a EcrRegistry,
        repository: &'a str,
    ) -> BoxFuture<'a, RepositoryState> {
        (self.lookups.lock().unwrap()).push(format!("{}/{repository}", registry.host));
        let state = self.repository_state.lock().unwrap().clone();
        Box::pin(async move { state })
    }
}
