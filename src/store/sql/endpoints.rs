//! Redfish endpoints, component and service endpoints, and hardware.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::components::insert_components;
use super::dialect::{
    begin_write, fqdn_is, in_texts, json_set, push_in, texts, write_one, Conn, Db,
};
use super::hardware::{detected, put_locations};
use super::interfaces::write;
use super::SqlStore;
use crate::model::discovery::{ComponentEndpoint, Hardware, ServiceEndpoint};
use crate::model::ethernet::EthInterface;
use crate::model::redfish::{EndpointFilter, RedfishEndpoint};
use crate::model::xname::Xname;
use crate::store::rows::endpoints::{
    check_fqdn, check_new_endpoint, component_endpoints_from, doc, doc_from, endpoints_from,
    hardware_from, mac_exists, password_from, password_of, service_endpoints_from,
};
use crate::store::rows::interfaces::Write;
use crate::store::rows::{json, xnames};
use crate::store::{ComponentEndpointFilter, EndpointStore, EndpointWrite, StoreError};

/// Refuses a new endpoint whose ID or FQDN (in any case) is taken, naming which.
async fn check_new(conn: &mut Conn, ep: &RedfishEndpoint) -> Result<(), StoreError> {
    // An ID match is named before an FQDN match.
    let row = sqlx::query(&format!(
        "SELECT id, fqdn FROM rf_endpoints WHERE id = $1 OR {} ORDER BY id = $1 DESC LIMIT 1",
        fqdn_is("$2")
    ))
    .bind(ep.id.as_str())
    .bind(&ep.fqdn)
    .fetch_optional(conn)
    .await?;
    check_new_endpoint(ep, row.as_ref())
}

async fn put_endpoint(conn: &mut Conn, w: &EndpointWrite, replace: bool) -> Result<(), StoreError> {
    if !replace {
        check_new(conn, &w.endpoint).await?;
    } else {
        // Another endpoint holding this FQDN is still a conflict.
        let other = sqlx::query(&format!(
            "SELECT id FROM rf_endpoints WHERE {} AND id <> $2 LIMIT 1",
            fqdn_is("$1")
        ))
        .bind(&w.endpoint.fqdn)
        .bind(w.endpoint.id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        check_fqdn(&w.endpoint, other.as_ref())?;
    }
    sqlx::query(
        "INSERT INTO rf_endpoints (id, fqdn, doc, password) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET fqdn = excluded.fqdn, doc = excluded.doc, \
         password = coalesce(excluded.password, rf_endpoints.password)",
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
    conn: &mut Conn,
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
impl EndpointStore for SqlStore {
    async fn endpoints(&self, filter: &EndpointFilter) -> Result<Vec<RedfishEndpoint>, StoreError> {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("SELECT doc FROM rf_endpoints");
        if !filter.ids.is_empty() {
            qb.push(" WHERE");
            push_in(&mut qb, "id", texts(&filter.ids));
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        endpoints_from(&rows, filter)
    }

    async fn endpoint(&self, id: &Xname) -> Result<Option<RedfishEndpoint>, StoreError> {
        let row = sqlx::query("SELECT doc FROM rf_endpoints WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(doc_from).transpose()
    }

    async fn endpoint_passwords(&self, ids: &[Xname]) -> Result<Vec<(Xname, String)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, password FROM rf_endpoints WHERE password IS NOT NULL AND id{}",
            in_texts("$1")
        ))
        .bind(texts(ids))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(password_from).collect()
    }

    async fn write_endpoints(
        &self,
        writes: &[EndpointWrite],
        replace: bool,
    ) -> Result<Vec<Xname>, StoreError> {
        let now = crate::model::ethernet::now_rfc3339();
        let mut tx = begin_write(&self.pool).await?;
        let mut created = Vec::new();
        for w in writes {
            put_endpoint(&mut tx, w, replace).await?;
            let d = &w.described;
            created.extend(insert_components(&mut tx, &d.components, false).await?);
            for ce in &d.component_endpoints {
                sqlx::query(
                    "INSERT INTO component_endpoints (id, endpoint_id, doc) VALUES ($1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET endpoint_id = excluded.endpoint_id, \
                     doc = excluded.doc",
                )
                .bind(ce.id.as_str())
                .bind(ce.endpoint_id.as_str())
                .bind(doc(ce)?)
                .execute(&mut *tx)
                .await?;
            }
            put_interfaces(&mut tx, &d.interfaces, replace).await?;
            put_locations(&mut tx, &d.hardware).await?;
            detected(&mut tx, &d.hardware, &now).await?;
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
        let sql = format!(
            "UPDATE rf_endpoints SET doc = {} WHERE id = $2",
            json_set("doc", "DiscoveryInfo", "$1")
        );
        let query = sqlx::query(&sql).bind(info).bind(id.as_str());
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_endpoint(&self, id: &Xname) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM rf_endpoints WHERE id = $1").bind(id.as_str());
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_all_endpoints(&self) -> Result<u64, StoreError> {
        write_one(&self.pool, sqlx::query("DELETE FROM rf_endpoints")).await
    }

    async fn delete_component_endpoints(
        &self,
        ids: Option<&[Xname]>,
    ) -> Result<(u64, Vec<Xname>), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("DELETE FROM component_endpoints");
        if let Some(ids) = ids {
            qb.push(" WHERE");
            push_in(&mut qb, "id", texts(ids));
        }
        qb.push(" RETURNING id");
        let deleted = xnames(&qb.build().fetch_all(&mut *tx).await?)?;
        let emptied = if deleted.is_empty() {
            Vec::new()
        } else {
            let rows = sqlx::query(&format!(
                "UPDATE components SET state = 'Empty', flag = 'OK' \
                 WHERE (state <> 'Empty' OR flag <> 'OK') AND id{} RETURNING id",
                in_texts("$1")
            ))
            .bind(texts(&deleted))
            .fetch_all(&mut *tx)
            .await?;
            xnames(&rows)?
        };
        tx.commit().await?;
        Ok((deleted.len() as u64, emptied))
    }

    async fn put_service_endpoints(
        &self,
        endpoint: &Xname,
        services: &[ServiceEndpoint],
    ) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let known = sqlx::query("SELECT 1 FROM rf_endpoints WHERE id = $1")
            .bind(endpoint.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::NotFound(format!(
                "no such Redfish endpoint: {endpoint}"
            )));
        }
        sqlx::query("DELETE FROM service_endpoints WHERE endpoint_id = $1")
            .bind(endpoint.as_str())
            .execute(&mut *tx)
            .await?;
        for s in services {
            sqlx::query(
                "INSERT INTO service_endpoints (endpoint_id, redfish_type, doc) \
                 VALUES ($1, $2, $3) ON CONFLICT (endpoint_id, redfish_type) \
                 DO UPDATE SET doc = excluded.doc",
            )
            .bind(endpoint.as_str())
            .bind(&s.redfish_type)
            .bind(doc(s)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_service_endpoints(
        &self,
        which: Option<(&Xname, &str)>,
    ) -> Result<u64, StoreError> {
        let query = match which {
            None => sqlx::query("DELETE FROM service_endpoints"),
            Some((endpoint, redfish_type)) => sqlx::query(
                "DELETE FROM service_endpoints WHERE endpoint_id = $1 AND redfish_type = $2",
            )
            .bind(endpoint.as_str())
            .bind(redfish_type),
        };
        write_one(&self.pool, query).await
    }

    async fn component_endpoints(
        &self,
        filter: &ComponentEndpointFilter,
    ) -> Result<Vec<ComponentEndpoint>, StoreError> {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("SELECT doc FROM component_endpoints WHERE true");
        if !filter.ids.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "id", texts(&filter.ids));
        }
        if !filter.endpoints.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "endpoint_id", texts(&filter.endpoints));
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        component_endpoints_from(&rows, filter)
    }

    async fn service_endpoints(
        &self,
        endpoints: &[Xname],
        redfish_types: &[String],
    ) -> Result<Vec<ServiceEndpoint>, StoreError> {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("SELECT doc FROM service_endpoints WHERE true");
        if !endpoints.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "endpoint_id", texts(endpoints));
        }
        if !redfish_types.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "redfish_type", texts(redfish_types));
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        service_endpoints_from(&rows)
    }

    async fn hardware(&self, ids: &[Xname]) -> Result<Vec<Hardware>, StoreError> {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("SELECT doc FROM hardware");
        if !ids.is_empty() {
            qb.push(" WHERE");
            push_in(&mut qb, "id", texts(ids));
        }
        let rows = qb.build().fetch_all(&self.pool).await?;
        hardware_from(&rows)
    }
}
