//! A registry login as the schema declares it (`registries` of an Image
//! and of the provider, `registry` of an Index).

use serde::{Deserialize, Serialize};

/// A login for one registry: its address, user and password.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistryLogin {
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
