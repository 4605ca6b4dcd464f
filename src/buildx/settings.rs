//! A [`BuildRequest`] rendered into the values buildx takes: each setting
//! as the text of its flag, shared by the command line and the bake
//! definition, with build secrets moved into the environment.

use std::collections::BTreeMap;

use super::render::{CacheSyntax, ExportSyntax, SecretAttributes};
use super::request::{BuildRequest, DockerfileSource, Mode};

/// One build's settings, as text, before they are written as a command
/// line or a bake target.
#[derive(Debug)]
#[allow(missing_docs)] // each is the buildx flag of the same name
pub struct Settings {
    pub context: String,
    pub dockerfile: DockerfileSource,
    pub tags: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    pub network: Option<String>,
    pub add_hosts: Vec<String>,
    pub target: Option<String>,
    /// `id` or `id=path,path`.
    pub ssh: Vec<String>,
    /// `id=NAME,env=VARIABLE`; the values are in the plan's environment.
    pub secrets: Vec<String>,
    pub named_contexts: BTreeMap<String, String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub outputs: Vec<String>,
    pub no_cache: bool,
    pub pull: bool,
}

/// The environment variable that carries the `index`th build secret.
fn secret_variable(index: usize) -> String {
    format!("DOCKER_BUILD_SECRET_{index}")
}

/// The settings of `request`, cache secrets as `secrets` says, and the
/// environment its build secrets travel in (only their ids are in the
/// settings). A preview renders no cache export and no push.
pub fn render(
    request: &BuildRequest,
    secrets: SecretAttributes,
) -> (Settings, Vec<(String, String)>) {
    let preview = request.mode == Mode::Preview;
    let mut secret_env = Vec::new();
    let mut secret_ids = Vec::new();
    for (index, (id, value)) in request.secrets.iter().enumerate() {
        let variable = secret_variable(index);
        secret_ids.push(format!("id={id},env={variable}"));
        secret_env.push((variable, value.clone()));
    }
    let cache = &request.cache;
    let settings = Settings {
        context: request.context.clone(),
        dockerfile: request.dockerfile.clone(),
        tags: request.tags.clone(),
        build_args: request.build_args.clone(),
        labels: request.labels.clone(),
        platforms: request.platforms.clone(),
        network: request.network.clone(),
        add_hosts: request.add_hosts.clone(),
        target: request.target.clone(),
        ssh: request
            .ssh
            .iter()
            .map(|agent| match agent.paths.is_empty() {
                true => agent.id.clone(),
                false => format!("{}={}", agent.id, agent.paths.join(",")),
            })
            .collect(),
        secrets: secret_ids,
        named_contexts: request.named_contexts.clone(),
        cache_from: cache
            .imports
            .iter()
            .map(|c| c.render_with(secrets))
            .collect(),
        cache_to: match preview {
            true => Vec::new(),
            false => cache
                .exports
                .iter()
                .map(|c| c.render_with(secrets))
                .collect(),
        },
        outputs: request
            .exports
            .iter()
            .filter_map(|e| e.render(preview))
            .collect(),
        no_cache: request.no_cache,
        pull: request.pull,
    };
    (settings, secret_env)
}
