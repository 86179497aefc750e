//! SQLite's words for what the shared SQL in `store/sql/` leaves to the dialect: lists bound as
//! one JSON text and read with `json_each`, JSON functions, and how a write transaction begins.
//! The PostgreSQL dialect has the same items under the same names.

use serde::ser::{Serialize, SerializeSeq, Serializer};
use sqlx::sqlite::SqliteArguments;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::store::rows::batch::{Column, Rows};
use crate::store::StoreError;

pub(crate) type Db = Sqlite;
pub(crate) type Conn = SqliteConnection;
pub(crate) type Pool = SqlitePool;

/// The name `Store::backend` reports.
pub(crate) const NAME: &str = "sqlite";

/// What follows an `ORDER BY` column for byte order: SQLite's default.
pub(crate) const BYTE_ORDER: &str = "";

/// What ends a read that later writes of the same transaction depend on: nothing, as a
/// transaction that began IMMEDIATE already holds the database's only write lock.
pub(crate) const FOR_UPDATE: &str = "";

/// A list of texts as one parameter: a JSON array, so any count fits.
pub(crate) type Texts = String;

/// `ids` as one parameter for [`each`], [`in_texts`] and [`not_in_texts`].
pub(crate) fn texts<T: AsRef<str>>(ids: &[T]) -> Texts {
    serde_json::to_string(&ids.iter().map(AsRef::as_ref).collect::<Vec<&str>>())
        .unwrap_or_else(|_| "[]".to_string())
}

/// A list of integers as one parameter: a JSON array.
pub(crate) type Ints = String;

/// `values` as one parameter for [`push_in_ints`] and [`push_not_in_ints`].
pub(crate) fn ints(values: &[i64]) -> Ints {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

/// Pushes `{col} IN (integers)` with the integers bound.
pub(crate) fn push_in_ints(qb: &mut QueryBuilder<'_, Db>, col: &str, values: Ints) {
    push_in(qb, col, values)
}

/// Pushes `{col} NOT IN (integers)` with the integers bound.
pub(crate) fn push_not_in_ints(qb: &mut QueryBuilder<'_, Db>, col: &str, values: Ints) {
    push_not_in(qb, col, values)
}

/// A FROM item of the texts bound at `p`: column `v` the text, `i` its position.
pub(crate) fn each(p: &str) -> String {
    format!("(SELECT value AS v, key AS i FROM json_each({p})) AS e")
}

/// A test that an endpoint's FQDN is the one bound at `p` in any case: the column is
/// `COLLATE NOCASE`, so its unique index answers.
pub(crate) fn fqdn_is(p: &str) -> String {
    format!("fqdn = {p}")
}

/// A test that the expression before it is one of the texts bound at `p`.
pub(crate) fn in_texts(p: &str) -> String {
    format!(" IN (SELECT value FROM json_each({p}))")
}

/// A test that the expression before it is none of the texts bound at `p`.
pub(crate) fn not_in_texts(p: &str) -> String {
    format!(" NOT IN (SELECT value FROM json_each({p}))")
}

/// Pushes `{col} IN (texts)` with the texts bound.
pub(crate) fn push_in(qb: &mut QueryBuilder<'_, Db>, col: &str, ids: Texts) {
    qb.push(format!(" {col} IN (SELECT value FROM json_each("))
        .push_bind(ids)
        .push("))");
}

/// Pushes `{col} NOT IN (texts)` with the texts bound.
pub(crate) fn push_not_in(qb: &mut QueryBuilder<'_, Db>, col: &str, ids: Texts) {
    qb.push(format!(" {col} NOT IN (SELECT value FROM json_each("))
        .push_bind(ids)
        .push("))");
}

/// A FROM item of the texts of a JSON array: the JSON text `doc`, or its top-level member
/// `key`. Column `v`.
pub(crate) fn json_elements(doc: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("(SELECT value AS v FROM json_each({doc}, '$.{key}')) AS j"),
        None => format!("(SELECT value AS v FROM json_each({doc})) AS j"),
    }
}

/// An aggregate of `expr` as JSON array text; `[]` over no rows.
pub(crate) fn json_agg(expr: &str) -> String {
    format!("json_group_array({expr})")
}

/// The JSON text `doc` with its top-level `key` set to the JSON text bound at `p`.
pub(crate) fn json_set(doc: &str, key: &str, p: &str) -> String {
    format!("json_set({doc}, '$.{key}', json({p}))")
}

/// Pushes a test that `col` begins with `prefix`.
pub(crate) fn push_starts_with(qb: &mut QueryBuilder<'_, Db>, col: &str, prefix: String) {
    qb.push(format!(" substr({col}, 1, length("))
        .push_bind(prefix.clone())
        .push(")) = ")
        .push_bind(prefix);
}

/// Pushes `(SELECT c0, c1, .., i FROM ..)` over `rows`, bound as one JSON array of rows;
/// `i` is each row's position.
pub(crate) fn push_rows(qb: &mut QueryBuilder<'_, Db>, rows: &Rows) {
    let picks: Vec<String> = (0..rows.columns.len())
        .map(|c| format!("json_extract(value, '$[{c}]') AS c{c}"))
        .collect();
    qb.push(format!(
        "(SELECT {}, key AS i FROM json_each(",
        picks.join(", ")
    ))
    .push_bind(rows_json(rows))
    .push("))");
}

/// `rows` as a JSON array of row arrays, written straight from the columns.
fn rows_json(rows: &Rows) -> String {
    serde_json::to_string(&AsRows(rows)).unwrap_or_else(|_| "[]".to_string())
}

/// Rows serialized as an array of arrays.
struct AsRows<'a>(&'a Rows);

/// Row `1` of rows `0`, serialized as an array.
struct AsRow<'a>(&'a Rows, usize);

impl Serialize for AsRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in 0..self.0.len() {
            seq.serialize_element(&AsRow(self.0, r))?;
        }
        seq.end()
    }
}

impl Serialize for AsRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (rows, r) = (self.0, self.1);
        let mut seq = s.serialize_seq(Some(rows.columns.len()))?;
        for column in &rows.columns {
            match column {
                Column::Text(vs) => seq.serialize_element(&vs[r])?,
                Column::Int(vs) => seq.serialize_element(&vs[r])?,
                Column::Bool(vs) => seq.serialize_element(&vs[r])?,
            }
        }
        seq.end()
    }
}

/// Begins a write transaction. IMMEDIATE takes the write lock first (waiting up to the busy
/// timeout), so a transaction that reads before it writes sees no other writer's commit in
/// between and is never refused for it.
pub(crate) async fn begin_write(pool: &Pool) -> Result<Transaction<'static, Db>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Runs one writing statement; returns how many rows it touched.
pub(crate) async fn write_one<'q>(
    pool: &Pool,
    query: sqlx::query::Query<'q, Db, SqliteArguments<'q>>,
) -> Result<u64, StoreError> {
    Ok(query.execute(pool).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::batch::Read;

    #[test]
    fn rows_are_bound_as_one_json_array_of_rows() {
        let items = [(Some("a"), Some(1), true), (None, None, false)];
        let rows = Rows::of(
            &items,
            &[
                Read::Text(&|t| t.0.map(str::to_string)),
                Read::Int(&|t| t.1),
                Read::Bool(&|t| t.2),
            ],
        );
        assert_eq!(rows_json(&rows), r#"[["a",1,true],[null,null,false]]"#);
        assert_eq!(rows_json(&Rows::of::<u8>(&[], &[])), "[]");
    }
}
