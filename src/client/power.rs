//! Power transitions through PCS's API: start (or preview), follow, abort.

use serde_json::{json, Value};

use super::{enc, Client, ClientError};
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
    /// Why it would do nothing (already in the wanted state).
    pub description: String,
    /// Why it would fail.
    pub error: String,
}

/// One `wouldDo` step as text: the Redfish reset type it sends (`GracefulShutdown`), else
/// the step's name.
fn step(v: &Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    v["resetType"]
        .as_str()
        .or_else(|| v["action"].as_str())
        .map(String::from)
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
                    .map(|a| a.iter().filter_map(step).collect())
                    .unwrap_or_default(),
                status: t["taskStatus"].as_str().unwrap_or("new").to_string(),
                description: t["description"].as_str().unwrap_or_default().to_string(),
                error: t["error"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// One transition with its tasks.
    pub async fn transition(&self, id: &str) -> Result<Transition, ClientError> {
        self.get(&format!("/power-control/v1/transitions/{id}"))
            .await
    }

    /// A node's power state as its BMC reports it: PCS's power-status entry for it.
    pub async fn power_of(&self, xname: &str) -> Result<Value, ClientError> {
        let v: Value = self
            .get(&format!(
                "/power-control/v1/power-status?xname={}",
                enc(xname)
            ))
            .await?;
        v["status"]
            .as_array()
            .and_then(|s| s.first())
            .cloned()
            .ok_or_else(|| ClientError::Decode(format!("no power status for {xname}")))
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
        self.delete(&format!("/power-control/v1/transitions/{id}"))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_as_text() {
        assert_eq!(
            step(&json!({"action": "gracefulshutdown", "resetType": "GracefulShutdown"})),
            Some("GracefulShutdown".into())
        );
        assert_eq!(step(&json!({"action": "off"})), Some("off".into()));
        assert_eq!(step(&json!("On")), Some("On".into()));
        assert_eq!(step(&json!(3)), None);
    }
}
