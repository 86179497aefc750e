//! Power transitions and tasks.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

use super::dialect::{
    begin_write, in_texts, push_rows, texts, write_one, Db, BYTE_ORDER, FOR_UPDATE,
};
use super::SqlStore;
use crate::model::locks::ReservationKeys;
use crate::model::power::{Step, Task, Transition, TransitionStatus};
use crate::store::rows::batch::{Read, Rows};
use crate::store::rows::power::{
    keys_from, keys_json, refuse_held, renewed_from, step_from, step_rows, task_from,
    transition_from, transitions_from, with_tasks,
};
use crate::store::{Lease, PowerStore, StoreError};

/// Tasks as rows of (xname, status, description, error).
fn task_rows(tasks: &[Task]) -> Rows {
    Rows::of(
        tasks,
        &[
            Read::Text(&|t| Some(t.xname.clone())),
            Read::Text(&|t| Some(t.status.as_str().to_string())),
            Read::Text(&|t| Some(t.description.clone())),
            Read::Text(&|t| Some(t.error.clone())),
        ],
    )
}

impl SqlStore {
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
impl PowerStore for SqlStore {
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
        let rows = sqlx::query(&format!(
            "SELECT t.xname, t.transition_id FROM power_tasks t \
             JOIN power_transitions p ON p.id = t.transition_id \
             WHERE t.xname{} AND t.status IN ('new', 'in-progress') \
             AND p.status NOT IN ('completed', 'aborted') ORDER BY t.xname{BYTE_ORDER} LIMIT 50",
            in_texts("$1")
        ))
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
        // One statement for every task; `seq` keeps their order.
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, description, error) \
             SELECT ",
        );
        qb.push_bind(&t.id).push(", c0, i, c1, c2, c3 FROM ");
        push_rows(&mut qb, &task_rows(tasks));
        qb.push(" AS u");
        qb.build().execute(&mut *tx).await?;
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
        // An upsert finds each task by its key (an UPDATE joined to the rows may scan the
        // tasks for every row). Tasks exist from the transition's creation.
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, description, error) \
             SELECT ",
        );
        qb.push_bind(id).push(", c0, 0, c1, c2, c3 FROM ");
        push_rows(&mut qb, &task_rows(tasks));
        qb.push(
            " AS u WHERE TRUE ON CONFLICT (transition_id, xname) DO UPDATE SET \
             status = excluded.status, description = excluded.description, error = excluded.error",
        );
        write_one(&self.pool, qb.build()).await?;
        Ok(())
    }

    async fn record_steps(&self, id: &str, steps: &[Step]) -> Result<(), StoreError> {
        let steps = step_rows(steps);
        let rows = Rows::of(
            &steps,
            &[
                Read::Text(&|(x, _)| Some(x.clone())),
                Read::Text(&|(_, s)| Some(s.clone())),
            ],
        );
        // The same keyed upsert as update_tasks (the tasks exist; only `step` changes).
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO power_tasks (transition_id, xname, seq, status, step) SELECT ",
        );
        qb.push_bind(id).push(", c0, 0, 'new', c1 FROM ");
        push_rows(&mut qb, &rows);
        qb.push(
            " AS u WHERE TRUE ON CONFLICT (transition_id, xname) DO UPDATE SET step = excluded.step",
        );
        write_one(&self.pool, qb.build()).await?;
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
        let rows = sqlx::query(&format!(
            "SELECT id, lease_until FROM power_transitions \
             WHERE status NOT IN ('completed', 'aborted') AND lease_until < $1{FOR_UPDATE}"
        ))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let claimed = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("lease_until")?)))
            .collect::<Result<Vec<(String, i64)>, StoreError>>()?;
        let ids: Vec<&str> = claimed.iter().map(|(id, _)| id.as_str()).collect();
        sqlx::query(&format!(
            "UPDATE power_transitions SET owner = $1, lease_until = $2 WHERE id{}",
            in_texts("$3")
        ))
        .bind(&lease.owner)
        .bind(lease.until)
        .bind(texts(&ids))
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
        let mut tx = begin_write(&self.pool).await?;
        let rows = sqlx::query(&format!(
            "UPDATE power_transitions SET lease_until = $1 WHERE owner = $2 AND id{} \
             RETURNING id, status",
            in_texts("$3")
        ))
        .bind(lease.until)
        .bind(&lease.owner)
        .bind(texts(ids))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(renewed_from).collect()
    }
}
