//! Resource calls over gRPC, for either resource: Check, Diff, Create,
//! Update, Read and Delete as the engine sends them, each carrying the
//! resource's URN, type token and name ([`Kind`]). `session.on(&INDEX)`
//! drives an Index; the Image's calls are also plain `Session` methods
//! (`session.create(..)`), the suites' most common case.

#![allow(dead_code)]

use docker_build::rpc::pb;

use super::processes::wait_for_process;
use super::session::Session;

/// A resource type as the engine names one resource of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The type token.
    pub token: &'static str,
    /// The URN of the one resource of this type a test plays.
    pub urn: &'static str,
    /// Its name.
    pub name: &'static str,
}

/// `docker-build:index:Image`, as the resource `img`.
pub const IMAGE: Kind = Kind {
    token: "docker-build:index:Image",
    urn: "urn:pulumi:dev::proj::docker-build:index:Image::img",
    name: "img",
};

/// `docker-build:index:Index`, as the resource `idx`.
pub const INDEX: Kind = Kind {
    token: "docker-build:index:Index",
    urn: "urn:pulumi:dev::proj::docker-build:index:Index::idx",
    name: "idx",
};

/// The Image's URN, for suites that match log lines against it.
pub const IMAGE_URN: &str = IMAGE.urn;

/// The calls of one resource in a session.
pub struct Calls<'s> {
    session: &'s mut Session,
    kind: Kind,
}

type Answer<T> = Result<T, tonic::Status>;

impl Session {
    /// The calls of a resource of `kind`.
    pub fn on(&mut self, kind: &Kind) -> Calls<'_> {
        Calls {
            session: self,
            kind: *kind,
        }
    }

    /// Image Check that must pass; the checked inputs.
    pub async fn checked(&mut self, news: serde_json::Value) -> prost_types::Struct {
        self.on(&IMAGE).checked(news).await
    }

    /// Image Create.
    pub async fn create(
        &mut self,
        inputs: &prost_types::Struct,
        preview: bool,
    ) -> Answer<pb::CreateResponse> {
        self.on(&IMAGE).create(inputs, preview).await
    }

    /// Image Update.
    pub async fn update(
        &mut self,
        id: &str,
        olds: &prost_types::Struct,
        news: &prost_types::Struct,
        preview: bool,
    ) -> Answer<pb::UpdateResponse> {
        self.on(&IMAGE).update(id, olds, news, preview).await
    }

    /// Image Read.
    pub async fn read(
        &mut self,
        id: &str,
        state: &prost_types::Struct,
    ) -> Answer<pb::ReadResponse> {
        self.on(&IMAGE).read(id, state).await
    }

    /// Image Delete.
    pub async fn delete(&mut self, id: &str, state: &prost_types::Struct) -> Answer<()> {
        self.on(&IMAGE).delete(id, state).await
    }
}

impl Calls<'_> {
    /// Check, as the engine sends it (with a random seed).
    pub async fn check(&mut self, news: serde_json::Value) -> pb::CheckResponse {
        let request = pb::CheckRequest {
            urn: self.kind.urn.into(),
            r#type: self.kind.token.into(),
            name: self.kind.name.into(),
            news: Some(super::harness::to_struct(&news)),
            random_seed: vec![1, 2, 3],
            ..Default::default()
        };
        let client = &mut self.session.client;
        client.check(request).await.unwrap().into_inner()
    }

    /// Check that must pass; the checked inputs.
    pub async fn checked(&mut self, news: serde_json::Value) -> prost_types::Struct {
        let response = self.check(news).await;
        assert!(response.failures.is_empty(), "{:?}", response.failures);
        response.inputs.unwrap()
    }

    /// Diff of stored `olds` (also the old inputs) against `news`.
    pub async fn diff(
        &mut self,
        id: &str,
        olds: &serde_json::Value,
        news: &serde_json::Value,
    ) -> Answer<pb::DiffResponse> {
        let olds = super::harness::to_struct(olds);
        let news = super::harness::to_struct(news);
        self.diff_from(id, (&olds, &olds), &news).await
    }

    /// Diff of the stored state and old inputs `(state, old_inputs)`
    /// against `news`, as the engine sends them.
    pub async fn diff_from(
        &mut self,
        id: &str,
        (state, old_inputs): (&prost_types::Struct, &prost_types::Struct),
        news: &prost_types::Struct,
    ) -> Answer<pb::DiffResponse> {
        let request = pb::DiffRequest {
            id: id.into(),
            urn: self.kind.urn.into(),
            r#type: self.kind.token.into(),
            name: self.kind.name.into(),
            olds: Some(state.clone()),
            news: Some(news.clone()),
            old_inputs: Some(old_inputs.clone()),
            ..Default::default()
        };
        let answer = self.session.client.diff(request).await;
        answer.map(tonic::Response::into_inner)
    }

    /// Create (a preview's with `preview`).
    pub async fn create(
        &mut self,
        inputs: &prost_types::Struct,
        preview: bool,
    ) -> Answer<pb::CreateResponse> {
        let request = create_request(&self.kind, inputs.clone(), preview);
        let answer = self.session.client.create(request).await;
        answer.map(tonic::Response::into_inner)
    }

    /// Update of `id` from `olds` to `news`.
    pub async fn update(
        &mut self,
        id: &str,
        olds: &prost_types::Struct,
        news: &prost_types::Struct,
        preview: bool,
    ) -> Answer<pb::UpdateResponse> {
        let request = pb::UpdateRequest {
            id: id.into(),
            urn: self.kind.urn.into(),
            r#type: self.kind.token.into(),
            name: self.kind.name.into(),
            olds: Some(olds.clone()),
            news: Some(news.clone()),
            preview,
            ..Default::default()
        };
        let answer = self.session.client.update(request).await;
        answer.map(tonic::Response::into_inner)
    }

    /// Read (a refresh) of `id` with its stored `state`.
    pub async fn read(
        &mut self,
        id: &str,
        state: &prost_types::Struct,
    ) -> Answer<pb::ReadResponse> {
        let request = pb::ReadRequest {
            id: id.into(),
            urn: self.kind.urn.into(),
            r#type: self.kind.token.into(),
            name: self.kind.name.into(),
            properties: Some(state.clone()),
            ..Default::default()
        };
        let answer = self.session.client.read(request).await;
        answer.map(tonic::Response::into_inner)
    }

    /// Delete of `id` with its stored `state`.
    pub async fn delete(&mut self, id: &str, state: &prost_types::Struct) -> Answer<()> {
        let request = pb::DeleteRequest {
            id: id.into(),
            urn: self.kind.urn.into(),
            r#type: self.kind.token.into(),
            name: self.kind.name.into(),
            properties: Some(state.clone()),
            ..Default::default()
        };
        self.session.client.delete(request).await.map(|_| ())
    }
}

/// A Create of a resource of `kind`.
pub fn create_request(
    kind: &Kind,
    inputs: prost_types::Struct,
    preview: bool,
) -> pb::CreateRequest {
    pb::CreateRequest {
        urn: kind.urn.into(),
        r#type: kind.token.into(),
        name: kind.name.into(),
        properties: Some(inputs),
        preview,
        ..Default::default()
    }
}

/// The Create call running in the background.
pub type PendingCreate = tokio::task::JoinHandle<Answer<tonic::Response<pb::CreateResponse>>>;

/// Starts an Image's Create for `inputs` without waiting for it, and waits
/// until the build's step whose command line holds `marker` runs (in
/// BuildKit's container, a process of this machine); returns the call and
/// that step's pid. (A shell runs its last command in its own place: a
/// step that ends `&& true` keeps the shell, and the marker, alive.)
pub async fn create_in_background(
    session: &Session,
    inputs: prost_types::Struct,
    marker: &str,
) -> (PendingCreate, u32) {
    let call = spawn_create(session, inputs);
    let step = wait_for_process(marker).await;
    (call, step)
}

/// Starts an Image's Create for `inputs` on a client of its own and
/// returns at once.
pub fn spawn_create(session: &Session, inputs: prost_types::Struct) -> PendingCreate {
    let request = create_request(&IMAGE, inputs, false);
    let mut client = session.client.clone();
    tokio::spawn(async move { client.create(request).await })
}

/// Image Check (failures and all).
pub async fn check(session: &mut Session, news: serde_json::Value) -> pb::CheckResponse {
    session.on(&IMAGE).check(news).await
}

/// Image Diff of stored `olds` against `news`.
pub async fn diff(
    session: &mut Session,
    olds: &serde_json::Value,
    news: &serde_json::Value,
) -> Answer<pb::DiffResponse> {
    session.on(&IMAGE).diff("sha256:00", olds, news).await
}
