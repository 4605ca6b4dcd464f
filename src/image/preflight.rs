//! The cache preflight: before a build, the registry is asked whether
//! each registry cache import exists, so a first build (no cache yet) is
//! said plainly and BuildKit never prints an alarming "not found".

use std::collections::BTreeSet;

use super::ImageOps;
use crate::build::{CachePlan, Mode};
use crate::credential::Credential;
use crate::image::cache_policy::registry_imports;
use crate::model::Reference;
use crate::model::cache::CacheFrom;
use crate::registry::Presence;

impl ImageOps<'_> {
    /// Asks the registry whether each registry cache import exists. A
    /// missing one is a first build: said plainly and left out of the
    /// build, so BuildKit never prints an alarming "not found". Returns
    /// the refs that were found.
    pub(super) async fn preflight(
        &self,
        cache: &mut CachePlan,
        credentials: &[Credential],
        mode: Mode,
    ) -> BTreeSet<Reference> {
        let mut found = BTreeSet::new();
        let mut missing = BTreeSet::new();
        for reference in registry_imports(cache) {
            match self.provider.registry().head(&reference, credentials).await {
                Presence::Found(_) => {
                    tracing::debug!("build cache found at {reference}");
                    found.insert(reference);
                }
                Presence::Missing => {
                    let creates = match mode {
                        Mode::Deploy => "this build creates it",
                        Mode::Preview => "`pulumi up` will create it",
                    };
                    tracing::info!(
                        "no build cache at {reference} yet: building from scratch; {creates}"
                    );
                    missing.insert(reference);
                }
                Presence::Unknown(why) => {
                    tracing::debug!(
                        "could not ask whether {reference} exists ({why}); leaving it to BuildKit"
                    );
                }
            }
        }
        cache
            .imports
            .retain(|c| !matches!(c, CacheFrom::Registry(r) if missing.contains(&r.reference)));
        found
    }
}
