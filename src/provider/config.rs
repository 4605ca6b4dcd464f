//! Provider configuration: `host`, `registries` and our `autoCache` and
//! `maxParallelBuilds`.
//!
//! Stack configuration reaches a provider as strings (`pulumi config set
//! docker-build:registries '[...]'` stores JSON text), so non-string values
//! given as strings are parsed before the schema check.

use serde::{Deserialize, Serialize};

use crate::failure::InputFailure;
use crate::model::RegistryLogin;
use crate::schema::{Subject, schema};
use crate::wire::{PropertyMap, PropertyPath, Value};

/// The provider's configuration after Configure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfig {
    /// The Docker engine address; empty means `DOCKER_HOST` or the default.
    #[serde(default)]
    pub host: String,
    /// Credentials shared by every image.
    #[serde(default)]
    pub registries: Vec<RegistryLogin>,
    /// Default of each image's `autoCache`.
    #[serde(default = "default_true")]
    pub auto_cache: bool,
    /// The most builds at once; `None` means the environment's or the
    /// default (`max_parallel_builds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_builds: Option<u32>,
}

/// The variable `maxParallelBuilds` defaults to.
pub const MAX_PARALLEL_BUILDS_ENV: &str = "DOCKER_BUILD_MAX_PARALLEL_BUILDS";

fn default_true() -> bool {
    true
}

impl ProviderConfig {
    /// The most builds this provider runs at once: the setting, else
    /// `DOCKER_BUILD_MAX_PARALLEL_BUILDS`, else four times the machine's
    /// cores (at least 8: as many steps as the Pulumi engine itself runs at
    /// once; `benches/side_by_side.rs` measured 4 and 8 on two cores with
    /// builds over one BuildKit connection: 8 was faster). Never below 1.
    pub fn max_parallel_builds(&self) -> usize {
        let from_env = std::env::var(MAX_PARALLEL_BUILDS_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok());
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        self.parallel_builds_given(from_env, cores)
    }

    /// [`ProviderConfig::max_parallel_builds`] with the environment's value
    /// and the machine's cores given.
    fn parallel_builds_given(&self, from_env: Option<u32>, cores: usize) -> usize {
        self.max_parallel_builds
            .or(from_env)
            .map_or(cores.max(2) * 4, |n| n as usize)
            .max(1)
    }

    /// The engine to build on, when the `host` setting names one.
    pub fn engine_host(&self) -> Option<&str> {
        (!self.host.is_empty()).then_some(self.host.as_str())
    }
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            host: String::new(),
            registries: Vec::new(),
            auto_cache: true,
            max_parallel_builds: None,
        }
    }
}

/// Keys whose schema type is not a string.
const STRUCTURED_KEYS: [&str; 3] = ["registries", "autoCache", "maxParallelBuilds"];

/// Parses JSON text given for structured keys, keeping secret marks.
pub fn normalize(mut map: PropertyMap) -> PropertyMap {
    for key in STRUCTURED_KEYS {
        if let Some(value) = map.get_mut(key) {
            let secret = matches!(value, Value::Secret(_));
            let parsed = match value.unsecret() {
                Value::String(text) => serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .map(|j| Value::from_json(&j)),
                _ => None,
            };
            if let Some(parsed) = parsed {
                *value = if secret { parsed.into_secret() } else { parsed };
            }
        }
    }
    // `host: ""`, as the official provider stores it, is no host.
    schema().drop_empty_strings(Subject::ProviderConfig, &mut map);
    map
}

/// Validates configuration, returning the normalised map and failures.
pub fn check_config(news: PropertyMap) -> (PropertyMap, Vec<InputFailure>) {
    let news = normalize(news);
    warn_of_unread_keys(&news);
    let mut failures = schema().check_object(Subject::ProviderConfig, &news);
    if failures.is_empty()
        && let Err(failure) = decode(&news)
    {
        failures.push(failure);
    }
    let mut news = news;
    schema().mark_secrets(Subject::ProviderConfig, &mut news);
    (news, failures)
}

/// Warns of each key this provider does not read (the engine's own
/// `version` and `pluginDownloadURL` aside): ignored, as the official
/// provider ignores it, but likely a typo.
fn warn_of_unread_keys(news: &PropertyMap) {
    let settings = schema().property_names(Subject::ProviderConfig);
    let engine_keys = ["version", "pluginDownloadURL"];
    for key in news.keys() {
        if !settings.contains(key) && !engine_keys.contains(&key.as_str()) {
            tracing::warn!(
                "`docker-build:{key}` is not a setting of this provider and is ignored; its settings are {}",
                settings.join(", ")
            );
        }
    }
}

/// Decodes a checked configuration map.
pub fn decode(map: &PropertyMap) -> Result<ProviderConfig, InputFailure> {
    let known = crate::wire::prune_unknowns(map);
    let mut json = Value::Object(known).to_json();
    if let Some(object) = json.as_object_mut() {
        object.retain(|k, _| {
            matches!(
                k.as_str(),
                "host" | "registries" | "autoCache" | "maxParallelBuilds"
            )
        });
    }
    let config: ProviderConfig = serde_json::from_value(json).map_err(|e| {
        InputFailure::new(
            PropertyPath::root(),
            format!("malformed provider configuration: {e}"),
        )
    })?;
    if config.max_parallel_builds == Some(0) {
        return Err(InputFailure::new(
            PropertyPath::key("maxParallelBuilds"),
            "must be at least 1",
        ));
    }
    Ok(config)
}

/// Top-level configuration keys that changed, ignoring registry passwords.
pub fn diff_config(old: &ProviderConfig, new: &ProviderConfig) -> Vec<&'static str> {
    let ProviderConfig {
        host,
        registries,
        auto_cache,
        max_parallel_builds: _, // how fast, never what is built
    } = new;
    let identity = |r: &[RegistryLogin]| {
        r.iter()
            .map(|r| (r.address.clone(), r.username.clone()))
            .collect::<Vec<_>>()
    };
    let mut changed = Vec::new();
    if *host != old.host {
        changed.push("host");
    }
    if identity(registries) != identity(&old.registries) {
        changed.push("registries");
    }
    if *auto_cache != old.auto_cache {
        changed.push("autoCache");
    }
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    use crate::wire::map_from_json as map;

    /// The setting wins, then the environment, then four times the cores
    /// (at least 8); zero is one.
    #[test]
    fn parallel_builds_default_to_four_times_the_cores() {
        let unset = ProviderConfig::default();
        assert_eq!(unset.parallel_builds_given(None, 2), 8);
        assert_eq!(unset.parallel_builds_given(None, 1), 8);
        assert_eq!(unset.parallel_builds_given(None, 8), 32);
        assert_eq!(unset.parallel_builds_given(Some(3), 8), 3);
        let set = ProviderConfig {
            max_parallel_builds: Some(5),
            ..ProviderConfig::default()
        };
        assert_eq!(set.parallel_builds_given(Some(3), 8), 5);
        let zero = ProviderConfig {
            max_parallel_builds: Some(0),
            ..ProviderConfig::default()
        };
        assert_eq!(zero.parallel_builds_given(None, 8), 1);
    }

    #[test]
    fn string_encoded_values_are_parsed() {
        let (news, failures) = check_config(map(json!({
            "registries": "[{\"address\": \"r.example\", \"username\": \"u\"}]",
            "autoCache": "false",
            "version": "0.1.0",
        })));
        assert!(failures.is_empty(), "{failures:?}");
        let config = decode(&news).unwrap();
        assert_eq!(config.registries[0].address, "r.example");
        assert!(!config.auto_cache);
    }

    #[test]
    fn a_key_this_provider_does_not_read_is_no_failure() {
        let (_, failures) = check_config(map(json!({"colour": "blue", "host": ""})));
        assert!(failures.is_empty(), "{failures:?}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let (_, failures) = check_config(map(json!({"autoCache": "sometimes", "host": 5})));
        let paths: Vec<String> = failures.iter().map(|f| f.property.to_string()).collect();
        assert_eq!(paths, ["autoCache", "host"]);
    }

    #[test]
    fn password_changes_are_not_config_changes() {
        let a = ProviderConfig {
            registries: vec![RegistryLogin {
                address: "r".into(),
                username: Some("u".into()),
                password: Some("1".into()),
            }],
            ..Default::default()
        };
        let mut b = a.clone();
        b.registries[0].password = Some("2".into());
        assert!(diff_config(&a, &b).is_empty());
        b.host = "tcp://127.0.0.1:2375".into();
        assert_eq!(diff_config(&a, &b), ["host"]);
    }
}
