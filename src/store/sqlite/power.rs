//! Power transitions and tasks in SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::model::locks::ReservationKeys;
use crate::model::power::{Step, Task, Transition, TransitionStatus};
use crate::store::rules::power::{
    keys_from, keys_json, refuse_held, renewed_from, step_from, step_rows, task_from,
    transition_from, transitions_from, with_tasks,
};
use crate::store::{Lease, PowerStore, StoreError};

/// Tasks as a JSON array of `[xname, status, description, error]` rows.
fn task_rows(tasks: &[Task]) -> String {
    let rows: Vec<[&str; 4]> = tasks
        .iter()
        .map(|t| {
            [
                t.xname.as_str(),
                t.status.as_str(),
                &t.description,
                &t.error,
            ]
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

impl SqliteStore {
    async fn tasks_of(&self, id: &str) -> Result<Vec<Task>, StoreError> {
        let rows = sqlx::query(
            "SELECT xname, status, description, error FROM power_tasks \
             WHERE transition_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_from).collect()
    }
}

#[async_trait]
impl PowerStore for SqliteStore {
    async fn create_transition(
        &self,
        t: &Transition,
        tasks: &[Task],
        lease: &Lease,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // A node in another unfinished transition's open task is not taken twice, whichever
        // core runs that transition.
        let xnames: Vec<&str> = tasks.iter().map(|k| k.xname.as_str()).collect();
        let rows = sqlx::query(
            "SELECT t.xname, t.transition_id FROM power_tasks t \
             JOIN power_transitions p ON p.id = t.transition_id \
             WHERE t.xname IN (SELECT value FROM json_each(?)) AND t.status IN ('new', 'in-progress') \
             AND p.status NOT IN ('completed', 'aborted') ORDER BY t.xname LIMIT 50",
        )
        .bind(super::id_array(&xnames))
        .fetch_all(&mut *tx)
        .await?;
        refuse_held(&rows)?;
        sqlx::query(
            "INSERT INTO power_transitions \
             (id, operation, created, expires, status, deadline, by, owner, lease_until) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        // One statement for every task: a JSON array of [xname, status, description, error].
        sqlx::query(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, description, error) \
             SELECT ?, json_extract(value, '$[0]'), key, json_extract(value, '$[1]'), \
             json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?)",
        )
        .bind(&t.id)
        .bind(task_rows(tasks))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn transition(&self, id: &str) -> Result<Option<Transition>, StoreError> {
        let row = sqlx::query("SELECT * FROM power_transitions WHERE id = ?")
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
        // Every transition's counts in one query, not one per transition.
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
        let done = sqlx::query("UPDATE power_transitions SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_tasks(&self, id: &str, tasks: &[Task]) -> Result<(), StoreError> {
        // An upsert driven by the JSON rows finds each task by its key (an UPDATE joined to
        // json_each scans the tasks for every row). Tasks exist from the transition's creation.
        sqlx::query(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, description, error) \
             SELECT ?, json_extract(value, '$[0]'), 0, json_extract(value, '$[1]'), \
             json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?) WHERE true \
             ON CONFLICT (transition_id, xname) DO UPDATE SET status = excluded.status, \
             description = excluded.description, error = excluded.error",
        )
        .bind(id)
        .bind(task_rows(tasks))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_steps(&self, id: &str, steps: &[Step]) -> Result<(), StoreError> {
        let rows = serde_json::to_string(&step_rows(steps)).unwrap_or_else(|_| "[]".into());
        // The same keyed upsert as update_tasks (the tasks exist; only `step` changes).
        sqlx::query(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, step) \
             SELECT ?, json_extract(value, '$[0]'), 0, 'new', json_extract(value, '$[1]') \
             FROM json_each(?) WHERE true \
             ON CONFLICT (transition_id, xname) DO UPDATE SET step = excluded.step",
        )
        .bind(id)
        .bind(rows)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn transition_steps(&self, id: &str) -> Result<Vec<Step>, StoreError> {
        let rows = sqlx::query(
            "SELECT xname, step FROM power_tasks WHERE transition_id = ? AND step <> '' ORDER BY seq",
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
        sqlx::query("UPDATE power_transitions SET reservations = ? WHERE id = ?")
            .bind(keys_json(keys)?)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn transition_reservations(&self, id: &str) -> Result<Vec<ReservationKeys>, StoreError> {
        let row = sqlx::query("SELECT reservations FROM power_transitions WHERE id = ?")
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
             WHERE status NOT IN ('completed', 'aborted') AND lease_until < ? LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if ended.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "SELECT id, lease_until FROM power_transitions \
             WHERE status NOT IN ('completed', 'aborted') AND lease_until < ?",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let claimed = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("lease_until")?)))
            .collect::<Result<Vec<(String, i64)>, StoreError>>()?;
        let ids: Vec<&str> = claimed.iter().map(|(id, _)| id.as_str()).collect();
        sqlx::query(
            "UPDATE power_transitions SET owner = ?, lease_until = ? \
             WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(&lease.owner)
        .bind(lease.until)
        .bind(super::id_array(&ids))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn renew_transitions(
        &self,
        lease: &Lease,
        ids: &[String],
    ) -> Result<Vec<(String, TransitionStatus)>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "UPDATE power_transitions SET lease_until = ? \
             WHERE owner = ? AND id IN (SELECT value FROM json_each(?)) RETURNING id, status",
        )
        .bind(lease.until)
        .bind(&lease.owner)
        .bind(super::id_array(ids))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(renewed_from).collect()
    }
}
