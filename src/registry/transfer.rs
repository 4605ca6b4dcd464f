//! Moving content with the distribution API: manifests read and written,
//! blobs checked, mounted from another repository of the same registry,
//! or streamed from another registry in chunks (never held whole).

use reqwest::{Method, StatusCode};

use super::http::{Call, HttpRegistry, Target, describe};
use super::oci::{self, digest_of};
use crate::credential::Credential;

/// The largest piece of a blob sent in one request when streaming it.
const CHUNK: usize = 8 << 20;

/// A manifest as the registry served it.
pub(super) struct Fetched {
    /// Its bytes, exactly.
    pub(super) body: Vec<u8>,
    /// Its media type (from `Content-Type`, else the document).
    pub(super) media_type: String,
    /// Its digest (the one asked for, checked; else computed).
    pub(super) digest: String,
}

impl HttpRegistry {
    /// Reads the manifest `reference` (a tag or a digest) of `target`'s
    /// repository.
    pub(super) async fn fetch_manifest(
        &self,
        target: &Target,
        reference: &str,
        credentials: &[Credential],
    ) -> Result<Fetched, String> {
        let path = format!("manifests/{reference}");
        let response = self
            .call(Call::new(Method::GET, target, path, "pull"), credentials)
            .await?;
        let named = format!("{}/{}:{reference}", target.host, target.repository);
        if !response.status().is_success() {
            return Err(format!(
                "reading {named}: the registry answered {}",
                response.status()
            ));
        }
        let header_type = response
            .headers()
            .get("content-type")
            .and_then(|h| h.to_str().ok())
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_owned())
            .filter(|t| oci::is_index(t) || oci::is_manifest(t));
        let body = response.bytes().await.map_err(|e| describe(&e))?.to_vec();
        let media_type = header_type
            .or_else(|| oci::declared_media_type(&body))
            .ok_or_else(|| format!("{named} is neither an image nor an image index"))?;
        let digest = digest_of(&body);
        if reference.starts_with("sha256:") && reference != digest {
            return Err(format!("the registry served {digest} for {named}"));
        }
        Ok(Fetched {
            body,
            media_type,
            digest,
        })
    }

    /// Reads a small blob (an image config) whole.
    pub(super) async fn fetch_blob(
        &self,
        target: &Target,
        digest: &str,
        credentials: &[Credential],
    ) -> Result<Vec<u8>, String> {
        let call = Call::new(Method::GET, target, format!("blobs/{digest}"), "pull");
        let response = self.call(call, credentials).await?;
        if !response.status().is_success() {
            return Err(format!(
                "reading blob {digest} of {}: the registry answered {}",
                target.repository,
                response.status()
            ));
        }
        let body = response.bytes().await.map_err(|e| describe(&e))?.to_vec();
        if digest_of(&body) != digest {
            return Err(format!(
                "the registry served other content for blob {digest}"
            ));
        }
        Ok(body)
    }

    /// Writes `body` as manifest `reference` (a tag or its digest); the
    /// digest of what was written.
    pub(super) async fn put_manifest(
        &self,
        target: &Target,
        reference: &str,
        (media_type, body): (&str, &[u8]),
        credentials: &[Credential],
    ) -> Result<String, String> {
        let path = format!("manifests/{reference}");
        let mut call = Call::new(Method::PUT, target, path, "pull,push");
        call.body = Some((bytes::Bytes::copy_from_slice(body), media_type.to_owned()));
        let response = self.call(call, credentials).await?;
        if !response.status().is_success() {
            let status = response.status();
            let detail = response.text().await.unwrap_or_default();
            return Err(format!(
                "pushing {}/{}:{reference}: the registry answered {status} {}",
                target.host,
                target.repository,
                detail.trim()
            ));
        }
        Ok(digest_of(body))
    }

    /// Makes blob `digest` exist in `to`'s repository, copying it from
    /// `from`'s: nothing if it is there, a cross-repository mount on the
    /// same registry, else streamed through this process in chunks.
    pub(super) async fn copy_blob(
        &self,
        (from, to): (&Target, &Target),
        digest: &str,
        credentials: &[Credential],
    ) -> Result<(), String> {
        let path = format!("blobs/{digest}");
        let exists = self
            .call(Call::new(Method::HEAD, to, path, "pull,push"), credentials)
            .await?;
        if exists.status().is_success() {
            return Ok(());
        }
        let mut upload = if from.base == to.base {
            let path = format!(
                "blobs/uploads/?mount={digest}&from={}",
                super::http::encode(&from.repository)
            );
            let mut mount = Call::new(Method::POST, to, path, "pull,push");
            mount.scopes.push(from.scope("pull"));
            let answer = self.call(mount, credentials).await?;
            if answer.status() == StatusCode::CREATED {
                return Ok(());
            }
            // 202: the registry would not mount; it opened an upload.
            upload_location(&answer, to)?
        } else {
            self.start_upload(to, credentials).await?
        };
        let source = self
            .call(
                Call::new(Method::GET, from, format!("blobs/{digest}"), "pull"),
                credentials,
            )
            .await?;
        if !source.status().is_success() {
            return Err(format!(
                "reading blob {digest} of {}: the registry answered {}",
                from.repository,
                source.status()
            ));
        }
        upload = self.stream_chunks(source, to, upload, credentials).await?;
        let separator = if upload.contains('?') { '&' } else { '?' };
        let finish = format!("{upload}{separator}digest={}", super::http::encode(digest));
        let mut done = Call::new(Method::PUT, to, finish, "pull,push");
        done.body = Some((bytes::Bytes::new(), "application/octet-stream".into()));
        let answer = self.call(done, credentials).await?;
        match answer.status() {
            StatusCode::CREATED | StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
            status => Err(format!(
                "copying blob {digest} to {}: the registry answered {status}",
                to.repository
            )),
        }
    }

    /// Opens an upload in `to`'s repository; its location.
    async fn start_upload(
        &self,
        to: &Target,
        credentials: &[Credential],
    ) -> Result<String, String> {
        let start = Call::new(Method::POST, to, "blobs/uploads/".into(), "pull,push");
        let answer = self.call(start, credentials).await?;
        if answer.status() != StatusCode::ACCEPTED {
            return Err(format!(
                "starting an upload to {}: the registry answered {}",
                to.repository,
                answer.status()
            ));
        }
        upload_location(&answer, to)
    }

    /// Sends `source`'s body to the upload at `location` in chunks of
    /// [`CHUNK`] bytes (and what the last network read brought); the
    /// location to finish it at.
    async fn stream_chunks(
        &self,
        mut source: reqwest::Response,
        to: &Target,
        mut location: String,
        credentials: &[Credential],
    ) -> Result<String, String> {
        let mut sent = 0usize;
        let mut pending = Vec::with_capacity(CHUNK.min(1 << 20));
        loop {
            let piece = source.chunk().await.map_err(|e| describe(&e))?;
            let finished = piece.is_none();
            if let Some(piece) = piece {
                pending.extend_from_slice(&piece);
            }
            if pending.is_empty() || (!finished && pending.len() < CHUNK) {
                if finished {
                    return Ok(location);
                }
                continue;
            }
            let range = format!("{}-{}", sent, sent + pending.len() - 1);
            sent += pending.len();
            let body = bytes::Bytes::from(std::mem::take(&mut pending));
            let mut patch = Call::new(Method::PATCH, to, location.clone(), "pull,push");
            patch.body = Some((body, "application/octet-stream".into()));
            patch.headers.push(("Content-Range", range));
            let answer = self.call(patch, credentials).await?;
            if answer.status() != StatusCode::ACCEPTED {
                return Err(format!(
                    "uploading to {}: the registry answered {}",
                    to.repository,
                    answer.status()
                ));
            }
            location = upload_location(&answer, to)?;
            if finished {
                return Ok(location);
            }
        }
    }
}

/// The `Location` of an upload the registry opened.
fn upload_location(answer: &reqwest::Response, to: &Target) -> Result<String, String> {
    answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "the registry opened an upload to {} without a location",
                to.repository
            )
        })
}
