//! PostgreSQL's words for what the shared SQL in `store/sql/` leaves to the dialect: lists bound
//! as arrays (`= ANY`, `unnest`), JSON functions, and the write lock every write transaction
//! takes first. The SQLite dialect has the same items under the same names.

use sqlx::postgres::PgArguments;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Transaction};

use crate::store::rows::batch::{Column, Rows};
use crate::store::StoreError;

pub(crate) type Db = Postgres;
pub(crate) type Conn = PgConnection;
pub(crate) type Pool = PgPool;

/// The name `Store::backend` reports.
pub(crate) const NAME: &str = "postgres";

/// What follows an `ORDER BY` column for byte order, as SQLite sorts.
pub(crate) const BYTE_ORDER: &str = " COLLATE \"C\"";

/// What ends a read that later writes of the same transaction depend on: its rows stay
/// locked, so a writer outside the write lock waits for this transaction.
pub(crate) const FOR_UPDATE: &str = " FOR UPDATE";

/// Key of the advisory lock every write transaction holds ("chami" in ASCII).
const WRITE_LOCK: i64 = 0x63_68_61_6d_69;

/// A list of texts as one parameter: a `text[]`, so any count fits.
pub(crate) type Texts = Vec<String>;

/// `ids` as one parameter for [`each`], [`in_texts`] and [`not_in_texts`].
pub(crate) fn texts<T: AsRef<str>>(ids: &[T]) -> Texts {
    ids.iter().map(|s| s.as_ref().to_string()).collect()
}

/// A list of integers as one parameter: a `bigint[]`.
pub(crate) type Ints = Vec<i64>;

/// `values` as one parameter for [`push_in_ints`] and [`push_not_in_ints`].
pub(crate) fn ints(values: &[i64]) -> Ints {
    values.to_vec()
}

/// Pushes `{col} = ANY(integers)` with the integers bound.
pub(crate) fn push_in_ints(qb: &mut QueryBuilder<'_, Db>, col: &str, values: Ints) {
    qb.push(format!(" {col} = ANY("))
        .push_bind(values)
        .push(")");
}

/// Pushes `{col} <> ALL(integers)` with the integers bound.
pub(crate) fn push_not_in_ints(qb: &mut QueryBuilder<'_, Db>, col: &str, values: Ints) {
    qb.push(format!(" {col} <> ALL("))
        .push_bind(values)
        .push(")");
}

/// A FROM item of the texts bound at `p`: column `v` the text, `i` its position.
pub(crate) fn each(p: &str) -> String {
    format!("unnest({p}::text[]) WITH ORDINALITY AS e(v, i)")
}

/// A test that an endpoint's FQDN is the one bound at `p` in any case, through the unique
/// index on `lower(fqdn)`.
pub(crate) fn fqdn_is(p: &str) -> String {
    format!("lower(fqdn) = lower({p})")
}

/// A test that the expression before it is one of the texts bound at `p`.
pub(crate) fn in_texts(p: &str) -> String {
    format!(" = ANY({p})")
}

/// A test that the expression before it is none of the texts bound at `p`.
pub(crate) fn not_in_texts(p: &str) -> String {
    format!(" <> ALL({p})")
}

/// Pushes `{col} = ANY(texts)` with the texts bound.
pub(crate) fn push_in(qb: &mut QueryBuilder<'_, Db>, col: &str, ids: Texts) {
    qb.push(format!(" {col} = ANY(")).push_bind(ids).push(")");
}

/// Pushes `{col} <> ALL(texts)` with the texts bound.
pub(crate) fn push_not_in(qb: &mut QueryBuilder<'_, Db>, col: &str, ids: Texts) {
    qb.push(format!(" {col} <> ALL(")).push_bind(ids).push(")");
}

/// A FROM item of the texts of a JSON array: the JSON text `doc`, or its top-level member
/// `key`. Column `v`.
pub(crate) fn json_elements(doc: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("jsonb_array_elements_text(({doc})::jsonb -> '{key}') AS j(v)"),
        None => format!("jsonb_array_elements_text(({doc})::jsonb) AS j(v)"),
    }
}

/// An aggregate of `expr` as JSON array text; `[]` over no rows.
pub(crate) fn json_agg(expr: &str) -> String {
    format!("coalesce(json_agg({expr}), '[]'::json)::text")
}

/// The JSON text `doc` with its top-level `key` set to the JSON text bound at `p`.
pub(crate) fn json_set(doc: &str, key: &str, p: &str) -> String {
    format!("jsonb_set({doc}::jsonb, '{{{key}}}', {p}::jsonb)::text")
}

/// Pushes a test that `col` begins with `prefix`.
pub(crate) fn push_starts_with(qb: &mut QueryBuilder<'_, Db>, col: &str, prefix: String) {
    qb.push(format!(" starts_with({col}, "))
        .push_bind(prefix)
        .push(")");
}

/// Pushes `(SELECT c0, c1, .., i FROM ..)` over `rows`, each column bound as one array;
/// `i` is each row's position.
pub(crate) fn push_rows(qb: &mut QueryBuilder<'_, Db>, rows: &Rows) {
    qb.push("(SELECT * FROM unnest(");
    for (n, column) in rows.columns.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        match column {
            Column::Text(vs) => qb.push_bind(vs.clone()).push("::text[]"),
            Column::Int(vs) => qb.push_bind(vs.clone()).push("::bigint[]"),
            Column::Bool(vs) => qb.push_bind(vs.clone()).push("::bool[]"),
        };
    }
    let names: Vec<String> = (0..rows.columns.len()).map(|c| format!("c{c}")).collect();
    qb.push(format!(") WITH ORDINALITY AS r({}, i))", names.join(", ")));
}

/// Begins a write transaction holding the store's write lock until it commits or rolls back,
/// so writers run one at a time as they do in SQLite: a transaction that reads before it
/// writes sees no other writer's commit in between.
pub(crate) async fn begin_write(pool: &Pool) -> Result<Transaction<'static, Db>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Runs one writing statement under the write lock; returns how many rows it touched.
pub(crate) async fn write_one(
    pool: &Pool,
    query: sqlx::query::Query<'_, Db, PgArguments>,
) -> Result<u64, StoreError> {
    let mut tx = begin_write(pool).await?;
    let done = query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
