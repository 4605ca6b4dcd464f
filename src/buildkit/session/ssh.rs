//! SSH agent forwarding (`RUN --mount=type=ssh,id=...`): each agent id
//! names an agent's socket on this machine; the daemon opens one stream
//! per connection a step makes to it, and the bytes are copied both ways.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::super::pb::moby::sshforward::v1 as ssh;
use super::filesync::first;

/// The SSH service of one session: agent sockets by id.
pub(super) struct Agents {
    pub sockets: Arc<BTreeMap<String, PathBuf>>,
}

#[tonic::async_trait]
impl ssh::ssh_server::Ssh for Agents {
    type ForwardAgentStream = ReceiverStream<Result<ssh::BytesMessage, Status>>;

    async fn check_agent(
        &self,
        request: Request<ssh::CheckAgentRequest>,
    ) -> Result<Response<ssh::CheckAgentResponse>, Status> {
        let id = agent_id(&request.into_inner().id);
        match self.sockets.contains_key(&id) {
            true => Ok(Response::new(ssh::CheckAgentResponse {})),
            false => Err(Status::not_found(format!("no SSH agent with id {id}"))),
        }
    }

    async fn forward_agent(
        &self,
        request: Request<Streaming<ssh::BytesMessage>>,
    ) -> Result<Response<Self::ForwardAgentStream>, Status> {
        let id = agent_id(&first(request.metadata(), "buildkit.ssh.id").unwrap_or_default());
        let Some(socket) = self.sockets.get(&id) else {
            return Err(Status::not_found(format!("no SSH agent with id {id}")));
        };
        let agent = tokio::net::UnixStream::connect(socket).await.map_err(|e| {
            Status::unavailable(format!(
                "cannot reach the SSH agent {}: {e}",
                socket.display()
            ))
        })?;
        let (mut from_agent, mut to_agent) = agent.into_split();
        let mut incoming = request.into_inner();
        tokio::spawn(async move {
            while let Ok(Some(message)) = incoming.message().await {
                if to_agent.write_all(&message.data).await.is_err() {
                    return;
                }
            }
            let _ = to_agent.shutdown().await;
        });
        let (sender, receiver) = mpsc::channel(16);
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 32 * 1024];
            while let Ok(read) = from_agent.read(&mut buffer).await {
                if read == 0 {
                    return;
                }
                let message = ssh::BytesMessage {
                    data: buffer[..read].to_vec(),
                };
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }
}

/// An empty id is the default agent's.
fn agent_id(id: &str) -> String {
    match id {
        "" => "default".to_owned(),
        id => id.to_owned(),
    }
}
