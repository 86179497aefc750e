//! Redfish endpoints, component and service endpoints, and hardware in SQLite.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::components::insert_components;
use super::interfaces::write;
use super::{id_array, SqliteStore};
use crate::model::discovery::{ComponentEndpoint, Hardware, ServiceEndpoint};
use crate::model::ethernet::EthInterface;
use crate::model::redfish::{EndpointFilter, RedfishEndpoint};
use crate::model::xname::Xname;
use crate::store::rules::endpoints::{
    check_fqdn, check_new_endpoint, component_endpoints_from, doc, doc_from, endpoints_from,
    hardware_from, mac_exists, password_from, password_of, service_endpoints_from,
};
use crate::store::rules::interfaces::Write;
use crate::store::rules::json;
use crate::store::{ComponentEndpointFilter, EndpointStore, EndpointWrite, StoreError};

/// Refuses a new endpoint whose ID or FQDN is taken, naming which.
async fn check_new(conn: &mut SqliteConnection, ep: &RedfishEndpoint) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT id, fqdn FROM rf_endpoints WHERE id = ? OR fqdn = ? LIMIT 1")
        .bind(ep.id.as_str())
        .bind(&ep.fqdn)
        .fetch_optional(conn)
        .await?;
    check_new_endpoint(ep, row.as_ref())
}

async fn put_endpoint(
    conn: &mut SqliteConnection,
    w: &EndpointWrite,
    replace: bool,
) -> Result<(), StoreError> {
    if !replace {
        check_new(conn, &w.endpoint).await?;
    } else {
        // Another endpoint holding this FQDN is still a conflict.
        let other = sqlx::query("SELECT id FROM rf_endpoints WHERE fqdn = ? AND id <> ?")
            .bind(&w.endpoint.fqdn)
            .bind(w.endpoint.id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        check_fqdn(&w.endpoint, other.as_ref())?;
    }
    sqlx::query(
        "INSERT INTO rf_endpoints (id, fqdn, doc, password) VALUES (?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET fqdn = excluded.fqdn, doc = excluded.doc, \
         password = coalesce(excluded.password, password)",
    )
    .bind(w.endpoint.id.as_str())
    .bind(&w.endpoint.fqdn)
    .bind(doc(&w.endpoint)?)
    .bind(password_of(&w.password))
    .execute(conn)
    .await?;
    Ok(())
}

async fn put_interfaces(
    conn: &mut SqliteConnection,
    ifaces: &[EthInterface],
    replace: bool,
) -> Result<(), StoreError> {
    let mode = if replace {
        Write::Upsert
    } else {
        Write::Insert
    };
    for i in ifaces {
        if write(conn, i, mode).await? == 0 {
            return Err(mac_exists(i));
        }
    }
    Ok(())
}

#[async_trait]
impl EndpointStore for SqliteStore {
    async fn endpoints(&self, filter: &EndpointFilter) -> Result<Vec<RedfishEndpoint>, StoreError> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT doc FROM rf_endpoints");
        if !filter.ids.is_empty() {
            qb.push(" WHERE id IN (SELECT value FROM json_each(")
                .push_bind(id_array(&filter.ids))
                .push("))");
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        endpoints_from(&rows, filter)
    }

    async fn endpoint(&self, id: &Xname) -> Result<Option<RedfishEndpoint>, StoreError> {
        let row = sqlx::query("SELECT doc FROM rf_endpoints WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(doc_from).transpose()
    }

    async fn endpoint_passwords(&self, ids: &[Xname]) -> Result<Vec<(Xname, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, password FROM rf_endpoints \
             WHERE password IS NOT NULL AND id IN (SELECT value FROM json_each(?))",
        )
        .bind(super::id_array(ids))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(password_from).collect()
    }

    async fn write_endpoints(
        &self,
        writes: &[EndpointWrite],
        replace: bool,
    ) -> Result<Vec<Xname>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut created = Vec::new();
        for w in writes {
            put_endpoint(&mut tx, w, replace).await?;
            let d = &w.described;
            created.extend(insert_components(&mut tx, &d.components, false).await?);
            for ce in &d.component_endpoints {
                sqlx::query(
                    "INSERT INTO component_endpoints (id, endpoint_id, doc) VALUES (?, ?, ?) \
                     ON CONFLICT(id) DO UPDATE SET endpoint_id = excluded.endpoint_id, \
                     doc = excluded.doc",
                )
                .bind(ce.id.as_str())
                .bind(ce.endpoint_id.as_str())
                .bind(doc(ce)?)
                .execute(&mut *tx)
                .await?;
            }
            put_interfaces(&mut tx, &d.interfaces, replace).await?;
            for hw in &d.hardware {
                sqlx::query(
                    "INSERT INTO hardware (id, doc) VALUES (?, ?) \
                     ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                )
                .bind(hw.id.as_str())
                .bind(doc(hw)?)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        created.sort();
        created.dedup();
        Ok(created)
    }

    async fn set_discovery(
        &self,
        id: &Xname,
        info: &crate::model::redfish::DiscoveryInfo,
    ) -> Result<bool, StoreError> {
        let info = json(info)?;
        let done = sqlx::query(
            "UPDATE rf_endpoints SET doc = json_set(doc, '$.DiscoveryInfo', json(?)) WHERE id = ?",
        )
        .bind(info)
        .bind(id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_endpoint(&self, id: &Xname) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM rf_endpoints WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_all_endpoints(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM rf_endpoints")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn component_endpoints(
        &self,
        filter: &ComponentEndpointFilter,
    ) -> Result<Vec<ComponentEndpoint>, StoreError> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT doc FROM component_endpoints WHERE 1=1");
        if !filter.ids.is_empty() {
            qb.push(" AND id IN (SELECT value FROM json_each(")
                .push_bind(id_array(&filter.ids))
                .push("))");
        }
        if !filter.endpoints.is_empty() {
            qb.push(" AND endpoint_id IN (SELECT value FROM json_each(")
                .push_bind(id_array(&filter.endpoints))
                .push("))");
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        component_endpoints_from(&rows, filter)
    }

    async fn service_endpoints(
        &self,
        endpoints: &[Xname],
        redfish_types: &[String],
    ) -> Result<Vec<ServiceEndpoint>, StoreError> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT doc FROM service_endpoints WHERE 1=1");
        if !endpoints.is_empty() {
            qb.push(" AND endpoint_id IN (SELECT value FROM json_each(")
                .push_bind(id_array(endpoints))
                .push("))");
        }
        if !redfish_types.is_empty() {
            qb.push(" AND redfish_type IN (SELECT value FROM json_each(")
                .push_bind(id_array(redfish_types))
                .push("))");
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        service_endpoints_from(&rows)
    }

    async fn hardware(&self, ids: &[Xname]) -> Result<Vec<Hardware>, StoreError> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT doc FROM hardware");
        if !ids.is_empty() {
            qb.push(" WHERE id IN (SELECT value FROM json_each(")
                .push_bind(id_array(ids))
                .push("))");
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        hardware_from(&rows)
    }
}
