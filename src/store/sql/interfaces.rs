//! Component Ethernet interfaces.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::dialect::{begin_write, push_in, texts, write_one, Conn, Db, BYTE_ORDER, FOR_UPDATE};
use super::SqlStore;
use crate::model::ethernet::{EthInterface, InterfaceChange, InterfaceFilter};
use crate::store::rows::interfaces::{
    changed_interface, interface_exists, interface_from, interfaces_from, ips_json, Write, COLUMNS,
};
use crate::store::{InterfaceStore, StoreError};

/// Writes one interface on `conn`; returns the rows written.
pub(super) async fn write(
    conn: &mut Conn,
    iface: &EthInterface,
    mode: Write,
) -> Result<u64, StoreError> {
    const INSERT: &str = "INSERT INTO eth_interfaces (description, mac_address, ip_addresses, \
                          last_update, component_id, type, id) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let sql = match mode {
        Write::Insert => format!("{INSERT} ON CONFLICT (id) DO NOTHING"),
        Write::Upsert => format!(
            "{INSERT} ON CONFLICT (id) DO UPDATE SET description = excluded.description, \
             mac_address = excluded.mac_address, ip_addresses = excluded.ip_addresses, \
             last_update = excluded.last_update, component_id = excluded.component_id, \
             type = excluded.type"
        ),
        Write::Update => "UPDATE eth_interfaces SET description = $1, mac_address = $2, \
                          ip_addresses = $3, last_update = $4, component_id = $5, type = $6 \
                          WHERE id = $7"
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
impl InterfaceStore for SqlStore {
    async fn interfaces(&self, filter: &InterfaceFilter) -> Result<Vec<EthInterface>, StoreError> {
        // Keys narrow in SQL; the filter then decides on every field.
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM eth_interfaces WHERE true"));
        if !filter.ids.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "id", texts(&filter.ids));
        }
        if !filter.component_ids.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "component_id", texts(&filter.component_ids));
        }
        qb.push(format!(" ORDER BY id{BYTE_ORDER}"));
        let rows = qb.build().fetch_all(&self.pool).await?;
        interfaces_from(&rows, filter)
    }

    async fn interface(&self, id: &str) -> Result<Option<EthInterface>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM eth_interfaces WHERE id = $1"
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
        let mut tx = begin_write(&self.pool).await?;
        // Writers outside the write lock (a delete) wait for this one.
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM eth_interfaces WHERE id = $1{FOR_UPDATE}"
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
        let query = sqlx::query("DELETE FROM eth_interfaces WHERE id = $1").bind(id);
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_all_interfaces(&self) -> Result<u64, StoreError> {
        write_one(&self.pool, sqlx::query("DELETE FROM eth_interfaces")).await
    }
}
