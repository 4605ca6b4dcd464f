//! A build of several platforms no one node builds all of, spread over
//! the nodes of a multi-node builder as buildx spreads it: each node
//! (the one `dial-stdio --platform` picks for a platform) solves its
//! platforms, pushed by digest alone, and the results are joined under
//! the tags with manifest PUTs (`registry::join`).
//! Each node exports the build cache it has; with one `cacheTo` for all,
//! the last node's export is what stays, as with buildx.

use std::sync::{Arc, Mutex};

use futures_util::future::try_join_all;

use super::engine::{Connection, Engine, Key, start_key_agents};
use crate::build::progress::BuildLog;
use crate::build::{BuildError, BuildJob, BuildOutcome, Mode};
use crate::model::Reference;
use crate::model::reference::names;
use crate::registry::{HttpRegistry, JoinJob, Registry};

impl Engine {
    /// Builds `job`'s platforms each on its node of the builder `key`
    /// names, then joins what they pushed under the tags; a load or a
    /// directory is each node's own; a tarball is refused.
    pub(super) async fn spread(
        &self,
        job: BuildJob<'_>,
        key: &Key,
    ) -> Result<BuildOutcome, BuildError> {
        let request = job.request;
        let mut groups = self.nodes_for(&request.platforms, key).await?;
        if groups.len() == 1 {
            // One node takes them all (the engine's own builder does, for
            // platforms its workers do not list but a build may target).
            let (node, key, _) = groups.remove(0);
            return self.on_one_node(job, node, key).await;
        }
        // A push is joined under the tags; anything else (a load, a
        // directory, no output) is each node's own, as with buildx.
        let joined = request.push && request.mode == Mode::Deploy && !request.tags.is_empty();
        let (mut nodes, mut agents) = (Vec::new(), Vec::new());
        for (node, key, platforms) in groups {
            let mut part = request.clone();
            part.platforms = platforms;
            let mut solve = match self.prepare(&job, &node, &part).await {
                Ok((solve, None)) => solve,
                Ok((_, Some(_))) => unreachable!("a multi-node builder is no classic store"),
                Err(super::translate::Refused(detail)) => {
                    return Err(BuildError::Refused { detail });
                }
            };
            refuse_tarballs(&solve)?;
            agents.extend(start_key_agents(&mut solve).await?);
            let solve = if joined {
                by_digest(solve, &request.tags)
            } else {
                solve
            };
            nodes.push((node, key, solve));
        }
        let log = Mutex::new(BuildLog::default());
        let solves = nodes.into_iter().map(|(node, key, solve)| {
            let log = &log;
            let job = &job;
            async move { self.solve_on((&node, &key), solve, log, job).await }
        });
        let mut responses = try_join_all(solves).await?;
        drop(agents);
        let log = log.into_inner().unwrap_or_else(|e| e.into_inner());
        if !joined {
            let last = responses.pop().unwrap_or_default();
            return Ok(BuildOutcome {
                metadata: serde_json::json!(last),
                log,
            });
        }
        let sources: Vec<Reference> = responses
            .iter()
            .filter_map(|r| r.get("containerimage.digest"))
            .map(|digest| request.tags[0].pinned(digest))
            .collect();
        self.join_nodes(&job, &sources, log).await
    }

    /// Which node each platform goes to (buildx's choice, through
    /// `dial-stdio --platform`), platforms grouped by node; why not, when a
    /// node cannot be reached.
    async fn nodes_for(
        &self,
        platforms: &[String],
        key: &Key,
    ) -> Result<Vec<(Arc<Connection>, Key, Vec<String>)>, BuildError> {
        let mut groups: Vec<(Arc<Connection>, Key, Vec<String>)> = Vec::new();
        for platform in platforms {
            let key = Key {
                platform: Some(platform.clone()),
                ..key.clone()
            };
            let node = self.connection(&key).await?;
            match groups.iter_mut().find(|(n, _, _)| n.node == node.node) {
                Some((_, _, platforms)) => platforms.push(platform.clone()),
                None => groups.push((node, key, vec![platform.clone()])),
            }
        }
        Ok(groups)
    }

    /// Joins what the nodes pushed under the job's tags.
    async fn join_nodes(
        &self,
        job: &BuildJob<'_>,
        sources: &[Reference],
        log: BuildLog,
    ) -> Result<BuildOutcome, BuildError> {
        let registry = HttpRegistry::default();
        let join = registry.join(JoinJob {
            tags: &job.request.tags,
            sources,
            push: true,
            credentials: job.credentials,
        });
        let joined = tokio::select! {
            biased;
            () = job.cancel.cancelled() => return Err(BuildError::Cancelled),
            joined = join => joined,
        };
        let joined = joined.map_err(|report| BuildError::Failed {
            status: "the nodes' images could not be joined".into(),
            report,
            transcript: log.transcript(),
        })?;
        Ok(BuildOutcome {
            metadata: serde_json::json!({
                "containerimage.digest": joined.digest,
                "image.name": names(&job.request.tags, ","),
            }),
            log,
        })
    }
}

/// One tarball cannot hold what several nodes built: buildx refuses that
/// too.
fn refuse_tarballs(solve: &super::Solve) -> Result<(), BuildError> {
    let tarball = solve
        .exporters
        .iter()
        .any(|e| matches!(e.kind.as_str(), "oci" | "tar"))
        || solve
            .session
            .outputs
            .values()
            .any(|o| matches!(o, super::session::Output::File(_)));
    match tarball {
        true => Err(BuildError::Refused {
            detail: "a tarball export (exports) of several platforms that different nodes of the builder build: one file cannot hold what several nodes built; push them, or name a builder one node of which builds them all".into(),
        }),
        false => Ok(()),
    }
}

/// A node's solve pushing its image by digest alone, into every tag's
/// repository, as buildx has each node push before joining.
fn by_digest(mut solve: super::Solve, tags: &[Reference]) -> super::Solve {
    let mut repositories: Vec<String> = Vec::new();
    for repository in tags.iter().map(|t| t.without_tag().to_string()) {
        if !repositories.contains(&repository) {
            repositories.push(repository);
        }
    }
    for exporter in solve.exporters.iter_mut().filter(|e| e.kind == "image") {
        let attrs = &mut exporter.attrs;
        attrs.insert("name".into(), repositories.join(","));
        attrs.insert("push-by-digest".into(), "true".into());
    }
    solve
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_pushes_by_digest_into_the_tags_repositories() {
        let mut solve = super::super::Solve::default();
        solve.exporters.push(super::super::Entry {
            kind: "image".into(),
            attrs: [("name", "r/a:1,r/a:2"), ("push", "true")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        });
        let tags = [
            Reference::parse("127.0.0.1:5000/a:1").unwrap(),
            Reference::parse("127.0.0.1:5000/a:2").unwrap(),
        ];
        let solve = by_digest(solve, &tags);
        let attrs = &solve.exporters[0].attrs;
        assert_eq!(attrs["name"], "127.0.0.1:5000/a");
        assert_eq!(attrs["push-by-digest"], "true");
        assert_eq!(attrs["push"], "true");
        let digest = format!("sha256:{}", "0".repeat(64));
        let pinned = tags[0].pinned(&digest);
        assert_eq!(pinned.to_string(), format!("127.0.0.1:5000/a@{digest}"));
    }
}
