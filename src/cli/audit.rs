//! `chami audit`: the audit log's newest entries, filtered.

use clap::Args;

use super::args::Common;
use super::connect::Connection;
use super::output::{self, Failure};

/// Options of `chami audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Who made the request (the token's subject).
    #[arg(long)]
    pub subject: Option<String>,
    /// The tenant it acted for.
    #[arg(long = "for-tenant")]
    pub for_tenant: Option<String>,
    /// HTTP method.
    #[arg(long)]
    pub method: Option<String>,
    /// Path prefix.
    #[arg(long)]
    pub path: Option<String>,
    /// An xname the request named.
    #[arg(long)]
    pub xname: Option<String>,
    /// ok, denied or failed.
    #[arg(long)]
    pub outcome: Option<String>,
    /// At or after (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// The newest this many.
    #[arg(long, default_value_t = 100)]
    pub last: u32,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `chami audit`.
pub async fn audit(a: AuditArgs) -> Result<(), Failure> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("order", "desc")
        .append_pair("limit", &a.last.to_string());
    for (k, v) in [
        ("subject", &a.subject),
        ("tenant", &a.for_tenant),
        ("method", &a.method),
        ("path", &a.path),
        ("xname", &a.xname),
        ("outcome", &a.outcome),
        ("since", &a.since),
    ] {
        if let Some(v) = v {
            q.append_pair(k, v);
        }
    }
    Connection::with(&a.common.connect, "cli", async |client| {
        let mut rows = client.audit_rows(&q.finish()).await?;
        rows.reverse();
        let cols = [
            ("TIME", "time"),
            ("WHO", "subject"),
            ("TENANT", "tenant"),
            ("METHOD", "method"),
            ("PATH", "path"),
            ("STATUS", "status"),
            ("XNAMES", "xnames"),
            ("DETAIL", "detail"),
        ];
        output::print(
            output::format_or_default(a.common.output),
            &rows,
            &cols,
            "id",
        )
    })
    .await
}
