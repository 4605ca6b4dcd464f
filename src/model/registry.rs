//! A registry login as the schema declares it (`registries` of an Image
//! and of the provider, `registry` of an Index).

use serde::{Deserialize, Serialize};

/// Registry credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Registry {
    /// The registry host (a repository URL is reduced to its host).
    #[serde(default)]
    pub address: String,
    /// The user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password or token (secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}
