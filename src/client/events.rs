//! The core's change stream (`GET /events`, Server-Sent Events), read frame by frame.

use std::time::Duration;

use reqwest::header::ACCEPT;
use serde_json::Value;

use super::{api_error, describe_reqwest, Client, ClientError};

/// Longest silence before the stream counts as dead; the core sends a keep-alive every 15 s.
pub const SILENCE: Duration = Duration::from_secs(45);

/// One event: its sequence number, kind and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The sequence number, to resume after with `Last-Event-ID`.
    pub id: Option<u64>,
    /// The kind (`ready`, `components_changed`, `reset`, ...).
    pub event: String,
    /// The event's JSON.
    pub data: Value,
}

impl Frame {
    /// The xnames the event names (`ids`).
    pub fn ids(&self) -> Vec<String> {
        self.data["ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An open event stream.
pub struct EventStream {
    resp: reqwest::Response,
    buf: String,
    url: String,
}

impl Client {
    /// Opens the event stream; `last` resumes after that event.
    pub async fn events(&self, last: Option<u64>) -> Result<EventStream, ClientError> {
        let url = format!("{}/events", self.base);
        let mut req = self
            .request(reqwest::Method::GET, &url)
            .header(ACCEPT, "text/event-stream")
            // The stream lasts as long as the console; silence is watched instead.
            .timeout(Duration::from_secs(365 * 24 * 3600));
        if let Some(id) = last {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            detail: describe_reqwest(&e),
        })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            return Err(api_error(status, &text));
        }
        Ok(EventStream {
            resp,
            buf: String::new(),
            url: self.base.clone(),
        })
    }
}

impl EventStream {
    /// The next event (keep-alives skipped); an error when the stream ended, failed or was
    /// silent for [`SILENCE`].
    pub async fn next(&mut self) -> Result<Frame, ClientError> {
        loop {
            if let Some(frame) = self.take_frame() {
                match frame {
                    Some(f) => return Ok(f),
                    None => continue,
                }
            }
            let chunk = tokio::time::timeout(SILENCE, self.resp.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => {
                    self.buf
                        .push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n"));
                }
                Ok(Ok(None)) => return Err(self.down("the core ended the event stream")),
                Ok(Err(e)) => return Err(self.down(&describe_reqwest(&e))),
                Err(_) => {
                    return Err(self.down(&format!(
                        "no word from the core for {} s",
                        SILENCE.as_secs()
                    )))
                }
            }
        }
    }

    fn down(&self, why: &str) -> ClientError {
        ClientError::Unreachable {
            url: self.url.clone(),
            detail: why.to_string(),
        }
    }

    /// The next complete frame in the buffer: `Some(None)` for a comment or a frame without
    /// data, `None` when no frame is complete yet.
    fn take_frame(&mut self) -> Option<Option<Frame>> {
        let end = self.buf.find("\n\n")?;
        let raw: String = self.buf.drain(..end + 2).collect();
        Some(parse(&raw))
    }
}

/// One SSE frame's fields (`id`, `event`, `data` lines; comments ignored).
fn parse(raw: &str) -> Option<Frame> {
    let mut id = None;
    let mut event = String::new();
    let mut data = String::new();
    for line in raw.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => id = value.parse().ok(),
            "event" => event = value.to_string(),
            "data" => {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            _ => {}
        }
    }
    if data.is_empty() {
        return None;
    }
    Some(Frame {
        id,
        event: if event.is_empty() {
            "message".into()
        } else {
            event
        },
        data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_and_comments_do_not() {
        let f =
            parse("id: 7\nevent: components_changed\ndata: {\"ids\":[\"x1c0s0b0n0\"]}\n").unwrap();
        assert_eq!(f.id, Some(7));
        assert_eq!(f.event, "components_changed");
        assert_eq!(f.ids(), ["x1c0s0b0n0"]);
        assert_eq!(parse(": keep-alive\n"), None);
        let plain = parse("data: a\ndata: b\n").unwrap();
        assert_eq!(plain.event, "message");
        assert_eq!(plain.data, Value::String("a\nb".into()));
    }
}
