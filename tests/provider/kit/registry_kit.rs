//! Looking into the test registry: tags, image indexes, and clearing a
//! repository between steps.

use crate::harness::registry;

/// Tags of `repository` in the test registry (empty when it has none).
pub async fn registry_tags(repository: &str) -> Vec<String> {
    tags_at(&registry(), repository, None).await
}

/// Tags of `repository` at `host`, logging in when `login` is given.
pub async fn tags_at(host: &str, repository: &str, login: Option<(&str, &str)>) -> Vec<String> {
    let url = format!("http://{host}/v2/{repository}/tags/list");
    let mut request = reqwest::Client::new().get(&url);
    if let Some((user, password)) = login {
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.unwrap();
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Vec::new();
    }
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    body["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Deletes every tag of `repository` from the test registry.
pub async fn clear_repository(repository: &str) {
    clear_at(&registry(), repository, None).await;
}

/// Deletes every tag of `repository` at `host`.
pub async fn clear_at(host: &str, repository: &str, login: Option<(&str, &str)>) {
    let client = reqwest::Client::new();
    let with_login = |request: reqwest::RequestBuilder| match login {
        Some((user, password)) => request.basic_auth(user, Some(password)),
        None => request,
    };
    for tag in tags_at(host, repository, login).await {
        let url = format!("http://{host}/v2/{repository}/manifests/{tag}");
        let head = with_login(client.head(&url))
            .header("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
            .send()
            .await
            .unwrap();
        // Tags sharing a digest vanish together.
        let Some(digest) = head.headers().get("docker-content-digest") else {
            continue;
        };
        let digest = digest.to_str().unwrap().to_owned();
        let url = format!("http://{host}/v2/{repository}/manifests/{digest}");
        let deleted = with_login(client.delete(&url)).send().await.unwrap();
        assert!(
            deleted.status().is_success() || deleted.status() == reqwest::StatusCode::NOT_FOUND,
            "{}",
            deleted.status()
        );
    }
}

/// The platforms (`os/arch`) of the image index at `reference` in the
/// test registry, in order; `None` when there is no such manifest.
pub async fn index_platforms(repository: &str, reference: &str) -> Option<Vec<String>> {
    let response = reqwest::Client::new()
        .get(format!("http://{}/v2/{repository}/manifests/{reference}", registry()))
        .header("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")
        .send()
        .await
        .unwrap();
    if response.status() == 404 {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    Some(
        body["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m["platform"]["os"].as_str().unwrap(),
                    m["platform"]["architecture"].as_str().unwrap()
                )
            })
            .collect(),
    )
}
