//! Named builders (`builder.name`): which names buildx would accept, and
//! what a failed build on one says about it.
//!
//! A name is a buildx builder (one file under `buildx/instances` of the
//! Docker configuration, whatever its driver: `docker-container`,
//! `remote`, `kubernetes`, `cloud`), a Docker context, or `default`. A
//! builder beyond this machine can be missing, stopped, unreachable or
//! refuse our TLS client certificate; buildx says little more than
//! "context deadline exceeded" or "Unavailable" then, so the provider
//! names the builder and what to check.

use std::path::Path;

/// Every name `builder.name` may take in the configuration at `config`
/// (the host's when `None`), sorted: buildx builders, Docker contexts and
/// `default`.
pub fn known_builders(config: Option<&Path>) -> Vec<String> {
    let dir = config
        .map(Path::to_path_buf)
        .or_else(crate::credential::host_config_dir);
    let mut names = vec!["default".to_owned()];
    if let Some(dir) = dir {
        names.extend(instance_names(&dir.join("buildx/instances")));
        names.extend(context_names(&dir.join("contexts/meta")));
    }
    names.sort();
    names.dedup();
    names
}

/// Whether `name` is a Docker context and no buildx builder of that name
/// exists (host configuration): buildx builds on such a context's engine,
/// but reaches it through `DOCKER_CONTEXT`, not `--builder`.
pub fn is_only_a_context(name: &str) -> bool {
    let Some(dir) = crate::credential::host_config_dir() else {
        return false;
    };
    name != "default"
        && !instance_names(&dir.join("buildx/instances"))
            .iter()
            .any(|n| n == name)
        && context_names(&dir.join("contexts/meta"))
            .iter()
            .any(|n| n == name)
}

/// buildx keeps one file per builder, named as the builder.
fn instance_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect()
}

/// Docker keeps each context's name in `<sha256 of name>/meta.json`.
fn context_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read(entry.path().join("meta.json")).ok())
        .filter_map(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter_map(|meta| meta["Name"].as_str().map(str::to_owned))
        .collect()
}

/// Whether buildx's output says the builder `name` does not exist.
pub fn says_unknown_builder(plain: &str, name: &str) -> bool {
    plain.contains(&format!("no builder \"{name}\" found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_builders_are_instances_contexts_and_default() {
        let config = tempfile::tempdir().unwrap();
        let instances = config.path().join("buildx/instances");
        std::fs::create_dir_all(&instances).unwrap();
        std::fs::write(instances.join("fleet"), "{}").unwrap();
        let context = config.path().join("contexts/meta/abc");
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("meta.json"), r#"{"Name": "far-engine"}"#).unwrap();
        assert_eq!(
            known_builders(Some(config.path())),
            ["default", "far-engine", "fleet"]
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(known_builders(Some(empty.path())), ["default"]);
    }

    #[test]
    fn buildx_saying_no_such_builder_is_recognised() {
        assert!(says_unknown_builder(
            "ERROR: no builder \"nope\" found",
            "nope"
        ));
        assert!(!says_unknown_builder(
            "ERROR: no builder \"nope\" found",
            "other"
        ));
    }
}
