//! Power transitions through PCS's API: start (or preview), follow, abort.

use serde_json::{json, Value};

use super::{Client, ClientError};
use crate::model::power::Transition;

/// What a dry run says one node would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The node.
    pub xname: String,
    /// The steps it would take (`GracefulShutdown`, `On`, ...), or nothing.
    pub steps: Vec<String>,
    /// Its task status in the preview (`new`, `unsupported`, `failed`).
    pub status: String,
    /// Why it would fail.
    pub error: String,
}

fn locations(xnames: &[String]) -> Value {
    Value::Array(xnames.iter().map(|x| json!({ "xname": x })).collect())
}

impl Client {
    /// Starts `operation` on `xnames`; the transition's ID.
    pub async fn start_transition(
        &self,
        operation: &str,
        xnames: &[String],
    ) -> Result<String, ClientError> {
        let body = json!({"operation": operation, "location": locations(xnames)});
        let v: Value = self.post("/power-control/v1/transitions", &body).await?;
        v["transitionID"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| ClientError::Decode(format!("no transitionID in {v}")))
    }

    /// What `operation` would do on each of `xnames`, without doing it.
    pub async fn preview_transition(
        &self,
        operation: &str,
        xnames: &[String],
    ) -> Result<Vec<Planned>, ClientError> {
        let body = json!({"operation": operation, "location": locations(xnames)});
        let v: Value = self
            .post("/power-control/v1/transitions?dryRun=true", &body)
            .await?;
        let tasks = v["tasks"]
            .as_array()
            .ok_or_else(|| ClientError::Decode(format!("no tasks in the dry run: {v}")))?;
        Ok(tasks
            .iter()
            .map(|t| Planned {
                xname: t["xname"].as_str().unwrap_or_default().to_string(),
                steps: t["wouldDo"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
                status: t["taskStatus"].as_str().unwrap_or_default().to_string(),
                error: t["error"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// One transition with its tasks.
    pub async fn transition(&self, id: &str) -> Result<Transition, ClientError> {
        self.get(&format!("/power-control/v1/transitions/{id}"))
            .await
    }

    /// Every transition, without tasks.
    pub async fn transitions(&self) -> Result<Vec<Transition>, ClientError> {
        #[derive(serde::Deserialize)]
        struct List {
            transitions: Vec<Transition>,
        }
        let l: List = self.get("/power-control/v1/transitions").await?;
        Ok(l.transitions)
    }

    /// Asks a transition to stop.
    pub async fn abort_transition(&self, id: &str) -> Result<(), ClientError> {
        let (status, text) = self
            .send(
                reqwest::Method::DELETE,
                &format!("/power-control/v1/transitions/{id}"),
                None,
            )
            .await?;
        if !status.is_success() {
            return Err(super::api_error(status, &text));
        }
        Ok(())
    }
}
