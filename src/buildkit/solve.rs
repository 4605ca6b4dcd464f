//! One build as a BuildKit solve: the `dockerfile.v0` frontend with its
//! attributes, cache imports and exports, exporters, and a session that
//! serves the build's files, logins and secrets. The status stream runs
//! beside the solve and feeds the caller's events; dropping the future
//! cancels the solve on the daemon (the call ends) and ends the session.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures_util::StreamExt as _;

use super::pb::moby::buildkit::v1::{
    CacheOptions, CacheOptionsEntry, Exporter, SolveRequest, StatusRequest,
};
use super::session::{SessionSpec, attach};
use super::{BuildkitClient, BuildkitError};
use crate::build::progress::Event;

/// How long the status stream may run on after the solve has answered
/// (its last messages are usually already there).
const STATUS_DRAIN: Duration = Duration::from_secs(2);

/// A typed entry with attributes: an exporter, a cache import or export.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// `image`, `registry`, `inline`, ...
    pub kind: String,
    /// Its attributes, in BuildKit's names.
    pub attrs: BTreeMap<String, String>,
}

/// One build, in BuildKit's terms.
#[derive(Debug, Clone, Default)]
pub struct Solve {
    /// The frontend: `dockerfile.v0` when `None`, else `gateway.v0` (an
    /// image of its own, `BUILDKIT_SYNTAX`).
    pub frontend: Option<String>,
    /// The frontend's attributes (`filename`, `build-arg:NAME`,
    /// `platform`, `context:NAME`, ...).
    pub frontend_attrs: BTreeMap<String, String>,
    /// Where the result goes.
    pub exporters: Vec<Entry>,
    /// Caches to read.
    pub cache_imports: Vec<Entry>,
    /// Caches to write.
    pub cache_exports: Vec<Entry>,
    /// Entitlements the build needs (`network.host`).
    pub entitlements: Vec<String>,
    /// What the session serves.
    pub session: SessionSpec,
    /// The `index.json` of each OCI layout the solve writes to (local
    /// cache directories, `oci` exports to a directory), to update once
    /// it is done.
    pub layout_indexes: Vec<super::oci_layout::IndexUpdate>,
}

fn to_wire(entry: &Entry) -> CacheOptionsEntry {
    CacheOptionsEntry {
        r#type: entry.kind.clone(),
        attrs: entry.attrs.clone().into_iter().collect(),
    }
}

impl Solve {
    /// The request for solve `reference` in session `session`.
    fn request(&self, reference: &str, session: &str) -> SolveRequest {
        let mut frontend_attrs: HashMap<String, String> =
            self.frontend_attrs.clone().into_iter().collect();
        if !self.cache_imports.is_empty() {
            // The frontend resolves imports itself, from this attribute.
            let imports: Vec<serde_json::Value> = self
                .cache_imports
                .iter()
                .map(|e| serde_json::json!({"Type": e.kind, "Attrs": e.attrs}))
                .collect();
            frontend_attrs.insert(
                "cache-imports".into(),
                serde_json::Value::Array(imports).to_string(),
            );
        }
        let exporters: Vec<Exporter> = self
            .exporters
            .iter()
            .map(|e| Exporter {
                r#type: e.kind.clone(),
                attrs: e.attrs.clone().into_iter().collect(),
            })
            .collect();
        SolveRequest {
            r#ref: reference.to_owned(),
            // Daemons before v0.13 read only the first exporter, here.
            exporter_deprecated: exporters
                .first()
                .map(|e| e.r#type.clone())
                .unwrap_or_default(),
            exporter_attrs_deprecated: exporters
                .first()
                .map(|e| e.attrs.clone())
                .unwrap_or_default(),
            exporters,
            session: session.to_owned(),
            frontend: self
                .frontend
                .clone()
                .unwrap_or_else(|| "dockerfile.v0".into()),
            frontend_attrs,
            cache: Some(CacheOptions {
                exports: self.cache_exports.iter().map(to_wire).collect(),
                imports: self.cache_imports.iter().map(to_wire).collect(),
                ..CacheOptions::default()
            }),
            entitlements: self.entitlements.clone(),
            ..SolveRequest::default()
        }
    }
}

impl BuildkitClient {
    /// Runs `solve`; each status event goes to `on_event` as it arrives.
    /// The exporter's response (`containerimage.digest`, ...) on success.
    pub async fn solve(
        &self,
        solve: Solve,
        on_event: &(dyn Fn(Event) + Send + Sync),
    ) -> Result<BTreeMap<String, String>, BuildkitError> {
        let reference = super::new_id();
        let session = attach(self.control.clone(), solve.session.clone());
        let request = solve.request(&reference, &session.id);
        let mut control = self.control.clone();
        let status_request = StatusRequest {
            r#ref: reference.clone(),
        };
        let mut status_control = self.control.clone();
        let statuses = async move {
            let Ok(answer) = status_control.status(status_request).await else {
                return;
            };
            let mut stream = answer.into_inner();
            while let Some(Ok(message)) = stream.next().await {
                for event in super::status::events_of(message) {
                    on_event(event);
                }
            }
        };
        let solved = control.solve(request);
        tokio::pin!(statuses, solved);
        let mut status_ended = false;
        let answer = tokio::select! {
            answer = &mut solved => answer,
            () = &mut statuses => {
                status_ended = true;
                (&mut solved).await
            }
        };
        if !status_ended {
            // The stream's last messages (the failing step's log) come
            // just after the answer.
            let _ = tokio::time::timeout(STATUS_DRAIN, statuses).await;
        }

        drop(session);
        match answer {
            Ok(answer) => Ok(answer.into_inner().exporter_response.into_iter().collect()),
            Err(status) => Err(self.failed("Solve", status).await),
        }
    }
}
