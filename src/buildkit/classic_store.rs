//! Building on the Docker engine's classic image store (the engine's own
//! BuildKit without the containerd store), as buildx's `docker` driver
//! does there: what that driver refuses is refused in its words, and a
//! push is the engine's: the image lands in the engine's store and the
//! engine pushes it (`POST /images/{name}/push`, the login in its
//! `X-Registry-Auth` header, never in an argument or a file); the
//! registry's digest is then read from the engine
//! (`GET /distribution/{name}/json`).

use base64::Engine as _;

use super::engine_api::call;
use crate::build::{BuildError, BuildJob, BuildOutcome, BuildRequest};
use crate::credential::{Credential, credentials_for};
use crate::model::Reference;

/// The names a `moby` exporter was to push, its push taken off: on the
/// classic image store the engine pushes them once the build is done.
/// They are the request's `tags` when it has any (the exporter is named
/// after them); otherwise the names its pushing export gives the image,
/// parsed at Check.
pub(super) fn take_push(
    solve: &mut super::Solve,
    request: &BuildRequest,
) -> Option<Vec<Reference>> {
    let exporter = (solve.exporters.iter_mut())
        .find(|e| e.kind == "moby" && e.attrs.get("push").is_some_and(|p| p == "true"))?;
    exporter.attrs.remove("push");
    let names = match request.tags.is_empty() {
        false => &request.tags,
        true => &request.export_names,
    };
    (!names.is_empty()).then(|| names.clone())
}

/// Pushes what a build left in the classic store, through the engine,
/// as buildx's `docker` driver does; the outcome then carries the
/// registry's digest (the image's own id stays as its config digest).
pub(super) async fn push_from_engine(
    mut outcome: BuildOutcome,
    names: &[Reference],
    engine: &str,
    job: &BuildJob<'_>,
) -> Result<BuildOutcome, BuildError> {
    let on_status = |line: &str| (job.on_status)(line);
    let pushed = tokio::select! {
        biased;
        () = job.cancel.cancelled() => return Err(BuildError::Cancelled),
        pushed = push_with_engine(engine, names, job.credentials, &on_status) => pushed,
    };
    let digest = pushed.map_err(|report| BuildError::Failed {
        status: "the engine could not push the image".into(),
        report,
        transcript: outcome.log.transcript(),
    })?;
    if let Some(metadata) = outcome.metadata.as_object_mut() {
        if let Some(id) = metadata.get("containerimage.digest").cloned() {
            metadata.entry("containerimage.config.digest").or_insert(id);
        }
        metadata.insert("containerimage.digest".into(), digest.into());
    }
    Ok(outcome)
}

/// What buildx's `docker` driver refuses on the classic image store, in
/// its words: a cache export other than inline (which the provider turns
/// into a deploy without its automatic cache), several platforms, an OCI
/// or Docker tarball.
pub(super) fn classic_store_refusal(request: &BuildRequest) -> Option<BuildError> {
    use crate::model::cache::CacheTo;
    use crate::model::export::Export;
    let words = |feature: &str, docs: &str| {
        format!(
            "{feature} is not supported for the docker driver.\nSwitch to a different driver, or turn on the containerd image store, and try again.\nLearn more at https://docs.docker.com/go/{docs}/"
        )
    };
    // A preview exports nothing: only several platforms are refused there.
    let deploy = request.mode == crate::build::Mode::Deploy;
    if deploy
        && request
            .cache
            .exports
            .iter()
            .any(|e| !matches!(e, CacheTo::Inline))
    {
        let detail = words("Cache export", "build-cache-backends");
        return Some(BuildError::CacheExportUnsupported { detail });
    }
    let refused = if request.platforms.len() > 1 {
        words("Multi-platform build", "build-multi-platform")
    } else if deploy && request.exports.iter().any(|e| matches!(e, Export::Oci(_))) {
        words("OCI exporter", "build-exporters")
    } else if deploy
        && request
            .exports
            .iter()
            .any(|e| matches!(e, Export::Docker(t) if t.dest.is_some()))
    {
        words("Docker exporter", "build-exporters")
    } else {
        return None;
    };
    Some(BuildError::ClassicStoreRefuses { detail: refused })
}

/// Pushes each of `names` from the engine at `host`; the registry digest
/// of the first. `on_status` hears one progress line per name.
async fn push_with_engine(
    host: &str,
    names: &[Reference],
    credentials: &[Credential],
    on_status: &(dyn Fn(&str) + Send + Sync),
) -> Result<String, String> {
    for name in names {
        on_status(&format!("pushing {name} with docker"));
        let auth = registry_auth(name, credentials);
        let tag = name.tag.clone().unwrap_or_else(|| "latest".into());
        let path = format!("/images/{}/push?tag={tag}", name.without_tag());
        let answer = call(host, ("POST", &path), &[("X-Registry-Auth", &auth)])
            .await
            .map_err(|e| format!("pushing {name} through the engine at {host}: {e}"))?;
        if answer.status != 200 {
            return Err(format!(
                "the engine at {host} refused to push {name} ({}): {}",
                answer.status,
                answer.body.trim()
            ));
        }
        if let Some(error) = stream_error(&answer.body) {
            return Err(format!("pushing {name}: {error}"));
        }
    }
    let first = &names[0];
    let auth = registry_auth(first, credentials);
    let path = format!("/distribution/{first}/json");
    let answer = call(host, ("GET", &path), &[("X-Registry-Auth", &auth)])
        .await
        .map_err(|e| format!("reading the digest of {first}: {e}"))?;
    let described: serde_json::Value = serde_json::from_str(&answer.body).map_err(|_| {
        format!(
            "the engine did not describe {first}: {}",
            answer.body.trim()
        )
    })?;
    described["Descriptor"]["digest"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("the engine gave no digest for {first}"))
}

/// The `X-Registry-Auth` header: the login for the reference's registry,
/// base64url JSON as the engine reads it (`{}` without one).
fn registry_auth(reference: &Reference, credentials: &[Credential]) -> String {
    let host = reference.registry();
    let json = match credentials_for(&host, credentials) {
        Some((username, password)) => serde_json::json!({
            "username": username,
            "password": password,
            "serveraddress": host.config_key(),
        }),
        None => serde_json::json!({}),
    };
    base64::engine::general_purpose::URL_SAFE.encode(json.to_string())
}

/// The first error in the engine's JSON progress stream, if any.
fn stream_error(body: &str) -> Option<String> {
    body.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|message| {
            let error = message
                .get("errorDetail")
                .or_else(|| message.get("error"))?;
            Some(
                error
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map_or_else(|| error.to_string(), str::to_owned),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reference;

    fn request(mode: crate::build::Mode) -> BuildRequest {
        BuildRequest {
            mode,
            builder: None,
            context: ".".into(),
            dockerfile: crate::build::DockerfileSource::Default,
            tags: vec![Reference::parse("r.example/app:1").unwrap()],
            build_args: Default::default(),
            labels: Default::default(),
            platforms: vec![],
            network: None,
            add_hosts: vec![],
            target: None,
            ssh: vec![],
            secrets: Default::default(),
            named_contexts: Default::default(),
            cache: Default::default(),
            exports: vec![],
            export_names: vec![],
            no_cache: false,
            pull: false,
            push: true,
            load: false,
        }
    }

    #[test]
    fn what_the_docker_driver_refuses_on_the_classic_store_is_refused_in_its_words() {
        use crate::build::Mode;
        use crate::model::cache::{CacheTo, cache_to_registry};
        assert!(classic_store_refusal(&request(Mode::Deploy)).is_none());

        let mut cached = request(Mode::Deploy);
        cached.cache.exports = vec![CacheTo::Inline];
        assert!(classic_store_refusal(&cached).is_none(), "inline is fine");
        let reference = crate::model::Reference::parse("r.example/app:cache").unwrap();
        cached
            .cache
            .exports
            .push(CacheTo::Registry(cache_to_registry(&reference)));
        let refused = classic_store_refusal(&cached).expect("refused");
        assert!(matches!(refused, BuildError::CacheExportUnsupported { .. }));
        assert!(
            refused
                .to_string()
                .contains("Cache export is not supported for the docker driver")
        );
        cached.mode = Mode::Preview;
        assert!(
            classic_store_refusal(&cached).is_none(),
            "a preview exports nothing"
        );

        let mut platforms = request(Mode::Preview);
        platforms.platforms = vec!["linux/amd64".into(), "linux/arm64".into()];
        let refused = classic_store_refusal(&platforms)
            .expect("refused")
            .to_string();
        assert!(
            refused.starts_with("Multi-platform build is not supported"),
            "{refused}"
        );
    }

    /// A solve whose one exporter pushes `names`.
    fn pushing(names: &str) -> super::super::Solve {
        let mut solve = super::super::Solve::default();
        solve.exporters.push(super::super::Entry {
            kind: "moby".into(),
            attrs: [("push", "true"), ("name", names)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        });
        solve
    }

    fn texts(names: Option<Vec<Reference>>) -> Vec<String> {
        names.unwrap().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_push_is_taken_off_the_exporter_and_left_to_the_engine() {
        let mut tagged = request(crate::build::Mode::Deploy);
        tagged.tags = vec![
            Reference::parse("r/a:1").unwrap(),
            Reference::parse("r/a:2").unwrap(),
        ];
        tagged.export_names = vec![Reference::parse("r/own:1").unwrap()];
        let mut solve = pushing("r/a:1,r/a:2");
        assert_eq!(texts(take_push(&mut solve, &tagged)), ["r/a:1", "r/a:2"]);
        assert!(!solve.exporters[0].attrs.contains_key("push"));
        assert!(
            take_push(&mut solve, &tagged).is_none(),
            "nothing left to push"
        );

        // No tags: the names the export gives the image, parsed at Check.
        let mut untagged = tagged.clone();
        untagged.tags.clear();
        let mut solve = pushing("r/own:1");
        assert_eq!(texts(take_push(&mut solve, &untagged)), ["r/own:1"]);
        untagged.export_names.clear();
        let mut solve = pushing("");
        assert!(
            take_push(&mut solve, &untagged).is_none(),
            "no name, no push"
        );
    }

    #[test]
    fn the_tag_comes_off_but_a_registry_port_stays() {
        let pushed_as = |name: &str| Reference::parse(name).unwrap().without_tag().to_string();
        assert_eq!(
            pushed_as("127.0.0.1:5000/team/app:1"),
            "127.0.0.1:5000/team/app"
        );
        assert_eq!(pushed_as("127.0.0.1:5000/app"), "127.0.0.1:5000/app");
        assert_eq!(pushed_as("app:latest"), "app");
    }

    #[test]
    fn a_failed_push_says_why() {
        let body = "{\"status\":\"The push refers to repository [r/app]\"}\n{\"errorDetail\":{\"message\":\"denied: no\"},\"error\":\"denied: no\"}\n";
        assert_eq!(stream_error(body).as_deref(), Some("denied: no"));
        assert_eq!(stream_error("{\"status\":\"ok\"}\n"), None);
    }

    #[test]
    fn the_login_goes_in_a_header_for_its_registry_only() {
        let login = Credential {
            host: crate::credential::RegistryHost::parse("r.example"),
            username: "u".into(),
            password: "p".into(),
        };
        let decode = |header: String| {
            let bytes = base64::engine::general_purpose::URL_SAFE
                .decode(header)
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        let here = decode(registry_auth(
            &Reference::parse("r.example/app:1").unwrap(),
            std::slice::from_ref(&login),
        ));
        assert_eq!(here["password"], "p");
        assert_eq!(here["serveraddress"], "r.example");
        let elsewhere = Reference::parse("127.0.0.1:5999/never-configured/app:1").unwrap();
        assert!(
            decode(registry_auth(&elsewhere, &[login]))
                .get("password")
                .is_none()
        );
    }
}
