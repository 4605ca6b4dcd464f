//! SSH for `RUN --mount=type=ssh` without a buildx build: an agent's
//! socket, and key files through an agent of the build's own.

use super::*;

/// Builds a step that needs the SSH agent `paths` name under id `deploy`
/// (it checks the forwarded socket is there); the plugin, afterwards.
async fn build_with_ssh(paths: &Path, work: &Path) -> Session {
    let dir = tempfile::tempdir().unwrap();
    let marker = unique("native-ssh");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM busybox:local\nRUN --mount=type=ssh,id=deploy test -S \"$SSH_AUTH_SOCK\" && echo {marker}\n"),
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": false,
            "ssh": [{"id": "deploy", "paths": [paths.display().to_string()]}],
        }))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("the step finds the agent's socket");
    assert_only_dials(&log);
    session
}

#[tokio::test]
async fn an_ssh_agent_socket_is_mounted_into_a_step_without_buildx() {
    require_engine();
    let work = tempfile::tempdir().unwrap();
    let socket = work.path().join("agent.sock");
    let _agent = tokio::net::UnixListener::bind(&socket).unwrap();
    build_with_ssh(&socket, work.path()).await;
}

/// SSH keys given as files are offered through an agent of the build's
/// own (OpenSSH's, holding the keys in memory), mounted into the step,
/// and stopped with the build.
#[tokio::test]
async fn ssh_key_files_reach_a_step_through_an_agent_of_the_builds_own() {
    require_engine();
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("deploy_key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let session = build_with_ssh(&key, work.path()).await;
    let agents: Vec<u32> = crate::harness::children_of(session.child.id())
        .into_iter()
        .filter(|pid| crate::harness::cmdline(*pid).contains("ssh-agent"))
        .filter(|pid| !crate::harness::is_gone(*pid))
        .collect();
    assert!(agents.is_empty(), "the build's agent stopped with it");
}
