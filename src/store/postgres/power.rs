//! Power transitions and tasks in PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;

use super::{begin_write, texts, write_one, PgStore};
use crate::model::locks::ReservationKeys;
use crate::model::power::{Step, Task, Transition, TransitionStatus};
use crate::store::rules::power::{
    keys_from, keys_json, refuse_held, renewed_from, step_from, step_rows, task_from,
    transition_from, transitions_from, with_tasks,
};
use crate::store::{Lease, PowerStore, StoreError};

/// Tasks as four parallel arrays (xname, status, description, error) for `unnest`.
type TaskColumns = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);

fn task_columns(tasks: &[Task]) -> TaskColumns {
    let mut cols = TaskColumns::default();
    for t in tasks {
        cols.0.push(t.xname.clone());
        cols.1.push(t.status.as_str().to_string());
        cols.2.push(t.description.clone());
        cols.3.push(t.error.clone());
    }
    cols
}

impl PgStore {
    async fn tasks_of(&self, id: &str) -> Result<Vec<Task>, StoreError> {
        let rows = sqlx::query(
            "SELECT xname, status, description, error FROM power_tasks \
             WHERE transition_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_from).collect()
    }
}

#[async_trait]
impl PowerStore for PgStore {
    async fn create_transition(
        &self,
        t: &Transition,
        tasks: &[Task],
        lease: &Lease,
    ) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        // A node in another unfinished transition's open task is not taken twice, whichever
        // core runs that transition.
        let xnames: Vec<&str> = tasks.iter().map(|k| k.xname.as_str()).collect();
        let rows = sqlx::query(
            "SELECT t.xname, t.transition_id FROM power_tasks t \
             JOIN power_transitions p ON p.id = t.transition_id \
             WHERE t.xname = ANY($1) AND t.status IN ('new', 'in-progress') \
             AND p.status NOT IN ('completed', 'aborted') ORDER BY t.xname LIMIT 50",
        )
        .bind(texts(&xnames))
        .fetch_all(&mut *tx)
        .await?;
        refuse_held(&rows)?;
        sqlx::query(
            "INSERT INTO power_transitions \
             (id, operation, created, expires, status, deadline, by, owner, lease_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&t.id)
        .bind(t.operation.as_str())
        .bind(&t.created)
        .bind(&t.expires)
        .bind(t.status.as_str())
        .bind(t.deadline_minutes)
        .bind(&t.by)
        .bind(&lease.owner)
        .bind(lease.until)
        .execute(&mut *tx)
        .await?;
        let (xnames, statuses, descriptions, errors) = task_columns(tasks);
        sqlx::query(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, description, error) \
             SELECT $1, x, n - 1, s, d, e \
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) \
             WITH ORDINALITY AS t (x, s, d, e, n)",
        )
        .bind(&t.id)
        .bind(xnames)
        .bind(statuses)
        .bind(descriptions)
        .bind(errors)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn transition(&self, id: &str) -> Result<Option<Transition>, StoreError> {
        let row = sqlx::query("SELECT * FROM power_transitions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let t = transition_from(&row)?;
        let tasks = self.tasks_of(id).await?;
        Ok(Some(with_tasks(t, tasks)))
    }

    async fn transitions(&self) -> Result<Vec<Transition>, StoreError> {
        let rows = sqlx::query("SELECT * FROM power_transitions ORDER BY created, id")
            .fetch_all(&self.pool)
            .await?;
        let counts = sqlx::query(
            "SELECT transition_id, status, COUNT(*) AS n FROM power_tasks \
             GROUP BY transition_id, status",
        )
        .fetch_all(&self.pool)
        .await?;
        transitions_from(&rows, &counts)
    }

    async fn transition_nodes(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT transition_id, xname FROM power_tasks")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("transition_id")?, r.try_get("xname")?)))
            .collect()
    }

    async fn set_transition_status(
        &self,
        id: &str,
        status: TransitionStatus,
    ) -> Result<bool, StoreError> {
        let query = sqlx::query("UPDATE power_transitions SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id);
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn update_tasks(&self, id: &str, tasks: &[Task]) -> Result<(), StoreError> {
        let (xnames, statuses, descriptions, errors) = task_columns(tasks);
        let query = sqlx::query(
            "UPDATE power_tasks p SET status = u.s, description = u.d, error = u.e \
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u (x, s, d, e) \
             WHERE p.transition_id = $1 AND p.xname = u.x",
        )
        .bind(id)
        .bind(xnames)
        .bind(statuses)
        .bind(descriptions)
        .bind(errors);
        write_one(&self.pool, query).await?;
        Ok(())
    }

    async fn record_steps(&self, id: &str, steps: &[Step]) -> Result<(), StoreError> {
        let (xnames, texts): (Vec<String>, Vec<String>) = step_rows(steps).into_iter().unzip();
        let query = sqlx::query(
            "UPDATE power_tasks p SET step = u.s FROM unnest($2::text[], $3::text[]) AS u (x, s) \
             WHERE p.transition_id = $1 AND p.xname = u.x",
        )
        .bind(id)
        .bind(xnames)
        .bind(texts);
        write_one(&self.pool, query).await?;
        Ok(())
    }

    async fn transition_steps(&self, id: &str) -> Result<Vec<Step>, StoreError> {
        let rows = sqlx::query(
            "SELECT xname, step FROM power_tasks WHERE transition_id = $1 AND step <> '' \
             ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(step_from).collect()
    }

    async fn set_transition_reservations(
        &self,
        id: &str,
        keys: &[ReservationKeys],
    ) -> Result<(), StoreError> {
        let query = sqlx::query("UPDATE power_transitions SET reservations = $1 WHERE id = $2")
            .bind(keys_json(keys)?)
            .bind(id);
        write_one(&self.pool, query).await?;
        Ok(())
    }

    async fn transition_reservations(&self, id: &str) -> Result<Vec<ReservationKeys>, StoreError> {
        let row = sqlx::query("SELECT reservations FROM power_transitions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        keys_from(&row.try_get::<String, _>(0)?)
    }

    async fn claim_transitions(
        &self,
        lease: &Lease,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        // A read without the write lock first: most ticks find nothing to claim.
        let ended = sqlx::query(
            "SELECT 1 FROM power_transitions \
             WHERE status NOT IN ('completed', 'aborted') AND lease_until < $1 LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if ended.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = begin_write(&self.pool).await?;
        let rows = sqlx::query(
            "WITH ended AS (SELECT id, lease_until FROM power_transitions \
             WHERE status NOT IN ('completed', 'aborted') AND lease_until < $3 \
             FOR UPDATE SKIP LOCKED) \
             UPDATE power_transitions p SET owner = $1, lease_until = $2 FROM ended \
             WHERE p.id = ended.id RETURNING p.id, ended.lease_until AS was",
        )
        .bind(&lease.owner)
        .bind(lease.until)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("was")?)))
            .collect()
    }

    async fn renew_transitions(
        &self,
        lease: &Lease,
        ids: &[String],
    ) -> Result<Vec<(String, TransitionStatus)>, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let rows = sqlx::query(
            "UPDATE power_transitions SET lease_until = $1 \
             WHERE owner = $2 AND id = ANY($3) RETURNING id, status",
        )
        .bind(lease.until)
        .bind(&lease.owner)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(renewed_from).collect()
    }
}
