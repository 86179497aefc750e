//! Power capping through PCS's `/power-cap` API: start a snapshot or a patch, follow its task.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use super::{api_error, Client, ClientError};
use crate::model::power_cap::{
    CapComponent, CapTask, CapTaskStatus, ComponentParam, ControlParam, PatchRequest,
};

const CAP: &str = "/power-control/v1/power-cap";

/// How often a task is read while it runs.
const POLL: Duration = Duration::from_millis(200);

impl Client {
    /// Starts reading the limits of `xnames`; the task's ID.
    pub async fn cap_snapshot(&self, xnames: &[String]) -> Result<String, ClientError> {
        let v: Value = self
            .post(&format!("{CAP}/snapshot"), &json!({ "xnames": xnames }))
            .await?;
        task_id(&v)
    }

    /// Starts setting the limits `req` names; the task's ID.
    pub async fn cap_patch(&self, req: &PatchRequest) -> Result<String, ClientError> {
        let body = serde_json::to_value(req).map_err(|e| ClientError::Decode(e.to_string()))?;
        let (status, text) = self.send(Method::PATCH, CAP, Some(&body)).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        let v: Value =
            serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("{CAP}: {e}")))?;
        task_id(&v)
    }

    /// One task with each node.
    pub async fn cap_task(&self, id: &str) -> Result<CapTask, ClientError> {
        self.get(&format!("{CAP}/{id}")).await
    }

    /// Every task, without nodes.
    pub async fn cap_tasks(&self) -> Result<Vec<CapTask>, ClientError> {
        #[derive(serde::Deserialize)]
        struct List {
            tasks: Vec<CapTask>,
        }
        let l: List = self.get(CAP).await?;
        Ok(l.tasks)
    }

    /// Reads task `id` until it completes, for at most `within`.
    pub async fn cap_wait(&self, id: &str, within: Duration) -> Result<CapTask, ClientError> {
        let start = Instant::now();
        loop {
            let t = self.cap_task(id).await?;
            if t.task_status == CapTaskStatus::Completed {
                return Ok(t);
            }
            if start.elapsed() + POLL > within {
                return Err(ClientError::Timeout(format!(
                    "power cap task {id} still running after {} s; read it with \
                     `chami power cap show {id}`",
                    within.as_secs()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Client {
    /// One node's limits, read from its BMC (a snapshot of it, waited for).
    pub async fn cap_of(&self, xname: &str) -> Result<CapComponent, ClientError> {
        let id = self.cap_snapshot(&[xname.to_string()]).await?;
        let t = self.cap_wait(&id, WAIT).await?;
        one(t, xname)
    }

    /// Sets one control of one node to `watts` (0 lifts it); the node as the task answers it.
    pub async fn cap_set(
        &self,
        xname: &str,
        control: &str,
        watts: i64,
    ) -> Result<CapComponent, ClientError> {
        let req = PatchRequest {
            components: vec![ComponentParam {
                xname: xname.to_string(),
                controls: vec![ControlParam {
                    name: control.to_string(),
                    value: watts,
                }],
            }],
        };
        let id = self.cap_patch(&req).await?;
        let t = self.cap_wait(&id, WAIT).await?;
        one(t, xname)
    }
}

/// Longest wait for one node's task.
const WAIT: Duration = Duration::from_secs(60);

/// The entry for `xname` in a task.
fn one(t: CapTask, xname: &str) -> Result<CapComponent, ClientError> {
    t.components
        .into_iter()
        .find(|c| c.xname == xname)
        .ok_or_else(|| ClientError::Decode(format!("power cap task {} has no {xname}", t.task_id)))
}

fn task_id(v: &Value) -> Result<String, ClientError> {
    v["taskID"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| ClientError::Decode(format!("no taskID in {v}")))
}
