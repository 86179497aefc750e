//! Boot parameters: their columns, the reading of rows, and the versions of a write.

use super::Fields;
use crate::model::boot::{BootData, BootEntry, BootVersion, CloudInit};
use crate::store::{BootChange, StoreError};

/// Boot entry columns.
pub(crate) const COLUMNS: &str =
    "name, params, kernel, initrd, cloud_init, token, version, updated_at, updated_by";

fn boot_corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("boot {col}: {e}"))
}

/// A boot entry from a row of [`COLUMNS`].
pub(crate) fn boot_entry_from(row: &impl Fields) -> Result<BootEntry, StoreError> {
    let cloud = row.text("cloud_init")?;
    let version = row.int("version")?;
    Ok(BootEntry {
        name: row.text("name")?,
        data: BootData {
            params: row.text("params")?,
            kernel: row.text("kernel")?,
            initrd: row.text("initrd")?,
            cloud_init: serde_json::from_str::<CloudInit>(&cloud)
                .map_err(|e| boot_corrupt("cloud_init", e))?,
        },
        token: row.text("token")?,
        version: version as u64,
        updated_at: row.text("updated_at")?,
        updated_by: row.text("updated_by")?,
    })
}

/// A version from a `name, version, op, at, by, data` history row.
pub(crate) fn boot_version_from(row: &impl Fields) -> Result<BootVersion, StoreError> {
    let data = row.opt_text("data")?;
    let op = row.text("op")?;
    let version = row.int("version")?;
    Ok(BootVersion {
        name: row.text("name")?,
        version: version as u64,
        op: op.parse().map_err(|e| boot_corrupt("op", e))?,
        time: row.text("at")?,
        by: row.text("by")?,
        data: data
            .map(|d| serde_json::from_str(&d).map_err(|e| boot_corrupt("history data", e)))
            .transpose()?,
    })
}

/// Fails with `Invalid` when a name is changed twice, and with `Stale` naming each change
/// whose entry is not at the version it expects, given each entry's stored version (`None`
/// when absent).
pub(crate) fn check_boot_versions(
    changes: &[BootChange],
    current: &[Option<i64>],
) -> Result<(), StoreError> {
    // Two changes of one name would each take a version and a history record of their own.
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = changes.iter().find(|c| !seen.insert(c.name.as_str())) {
        return Err(StoreError::Invalid(format!(
            "boot parameters for {} named twice in one write",
            twice.name
        )));
    }
    let mut stale = Vec::new();
    for (c, current) in changes.iter().zip(current) {
        let current = current.unwrap_or(0) as u64;
        if current != c.expect {
            stale.push(format!(
                "{} (now version {current}, expected {})",
                c.name, c.expect
            ));
        }
    }
    if !stale.is_empty() {
        return Err(StoreError::Stale(format!(
            "boot parameters changed since they were read: {}",
            stale.join(", ")
        )));
    }
    Ok(())
}

/// The version a write of `c` gets, after the last in its history (versions never repeat).
pub(crate) fn next_boot_version(c: &BootChange, last: Option<i64>) -> i64 {
    last.unwrap_or(0).max(c.expect as i64) + 1
}

/// The entry `c` writes.
pub(crate) fn boot_written(
    c: &BootChange,
    data: &BootData,
    token: &str,
    version: i64,
    at: &str,
    by: &str,
) -> BootEntry {
    BootEntry {
        name: c.name.clone(),
        data: data.clone(),
        token: token.to_string(),
        version: version as u64,
        updated_at: at.to_string(),
        updated_by: by.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::boot::BootOp;

    fn change(name: &str, expect: u64) -> BootChange {
        BootChange {
            name: name.into(),
            expect,
            after: None,
            op: BootOp::Delete,
        }
    }

    #[test]
    fn a_write_names_each_entry_once_at_its_version() {
        let ok = [change("a", 1), change("b", 0)];
        assert!(check_boot_versions(&ok, &[Some(1), None]).is_ok());
        let stale = check_boot_versions(&ok, &[Some(2), None]).unwrap_err();
        assert!(
            matches!(&stale, StoreError::Stale(m) if m.contains("a (now version 2, expected 1)")),
            "{stale:?}"
        );
        let twice = [change("a", 1), change("a", 1)];
        let err = check_boot_versions(&twice, &[Some(1), Some(1)]).unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.contains("a named twice")),
            "{err:?}"
        );
    }
}
