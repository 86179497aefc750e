//! Component Ethernet interfaces in SQLite.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{id_array, SqliteStore};
use crate::model::ethernet::{EthInterface, InterfaceChange, InterfaceFilter};
use crate::store::rules::interfaces::{
    changed_interface, interface_exists, interface_from, interfaces_from, ips_json, Write, COLUMNS,
};
use crate::store::{InterfaceStore, StoreError};

/// Writes one interface on `conn`; returns the rows written.
pub(super) async fn write(
    conn: &mut SqliteConnection,
    iface: &EthInterface,
    mode: Write,
) -> Result<u64, StoreError> {
    const INSERT: &str = "INSERT INTO eth_interfaces (description, mac_address, ip_addresses, \
                          last_update, component_id, type, id) VALUES (?, ?, ?, ?, ?, ?, ?)";
    let sql = match mode {
        Write::Insert => format!("{INSERT} ON CONFLICT(id) DO NOTHING"),
        Write::Upsert => format!(
            "{INSERT} ON CONFLICT(id) DO UPDATE SET description = excluded.description, \
             mac_address = excluded.mac_address, ip_addresses = excluded.ip_addresses, \
             last_update = excluded.last_update, component_id = excluded.component_id, \
             type = excluded.type"
        ),
        Write::Update => "UPDATE eth_interfaces SET description = ?, mac_address = ?, \
                          ip_addresses = ?, last_update = ?, component_id = ?, type = ? \
                          WHERE id = ?"
            .to_string(),
    };
    let done = sqlx::query(&sql)
        .bind(&iface.description)
        .bind(&iface.mac_address)
        .bind(ips_json(iface))
        .bind(&iface.last_update)
        .bind(&iface.component_id)
        .bind(&iface.kind)
        .bind(&iface.id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

#[async_trait]
impl InterfaceStore for SqliteStore {
    async fn interfaces(&self, filter: &InterfaceFilter) -> Result<Vec<EthInterface>, StoreError> {
        // Keys narrow in SQL; the filter then decides on every field.
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM eth_interfaces WHERE 1=1"));
        if !filter.ids.is_empty() {
            qb.push(" AND id IN (SELECT value FROM json_each(")
                .push_bind(id_array(&filter.ids))
                .push("))");
        }
        if !filter.component_ids.is_empty() {
            qb.push(" AND component_id IN (SELECT value FROM json_each(")
                .push_bind(id_array(&filter.component_ids))
                .push("))");
        }
        qb.push(" ORDER BY id");
        let rows = qb.build().fetch_all(&self.pool).await?;
        interfaces_from(&rows, filter)
    }

    async fn interface(&self, id: &str) -> Result<Option<EthInterface>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM eth_interfaces WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(interface_from).transpose()
    }

    async fn create_interface(&self, iface: &EthInterface) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        if write(&mut conn, iface, Write::Insert).await? == 0 {
            return Err(interface_exists(iface));
        }
        Ok(())
    }

    async fn change_interface(
        &self,
        id: &str,
        change: &InterfaceChange,
        now: &str,
    ) -> Result<EthInterface, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM eth_interfaces WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let iface = changed_interface(id, row.as_ref(), change, now)?;
        write(&mut tx, &iface, Write::Update).await?;
        tx.commit().await?;
        Ok(iface)
    }

    async fn delete_interface(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM eth_interfaces WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_all_interfaces(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM eth_interfaces")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
