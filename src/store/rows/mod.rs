//! Rows in and out, for either database: column lists and encodings, the reading of a result
//! row into the model, and the checks of a write with their refusal texts. The SQL around them
//! is in `store/sql/`; this half is compiled once. One module per resource.

pub(crate) mod audit;
pub(crate) mod batch;
pub(crate) mod boot;
pub(crate) mod caps;
pub(crate) mod components;
pub(crate) mod endpoints;
pub(crate) mod groups;
pub(crate) mod hardware;
pub(crate) mod interfaces;
pub(crate) mod locks;
pub(crate) mod maps;
pub(crate) mod power;
pub(crate) mod scn;
pub(crate) mod tenants;

use std::str::FromStr;

use serde::Serialize;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::StoreError;
use crate::model::xname::Xname;

/// A column of a result row: by name or by position.
pub(crate) enum Col<'a> {
    Name(&'a str),
    Pos(usize),
}

impl<'a> From<&'a str> for Col<'a> {
    fn from(name: &'a str) -> Col<'a> {
        Col::Name(name)
    }
}

impl From<usize> for Col<'_> {
    fn from(pos: usize) -> Self {
        Col::Pos(pos)
    }
}

/// A result row of either database, read as the types the stores keep.
pub(crate) trait Fields {
    /// A text column.
    fn text<'c>(&self, col: impl Into<Col<'c>>) -> Result<String, sqlx::Error>;
    /// A text column that may be NULL.
    fn opt_text<'c>(&self, col: impl Into<Col<'c>>) -> Result<Option<String>, sqlx::Error>;
    /// An integer column.
    fn int<'c>(&self, col: impl Into<Col<'c>>) -> Result<i64, sqlx::Error>;
    /// An integer column that may be NULL.
    fn opt_int<'c>(&self, col: impl Into<Col<'c>>) -> Result<Option<i64>, sqlx::Error>;
    /// A boolean column.
    fn boolean<'c>(&self, col: impl Into<Col<'c>>) -> Result<bool, sqlx::Error>;
    /// A boolean column that may be NULL.
    fn opt_boolean<'c>(&self, col: impl Into<Col<'c>>) -> Result<Option<bool>, sqlx::Error>;
}

/// `row.try_get(col)`, by name or position.
fn get<'r, R, T>(row: &'r R, col: Col<'_>) -> Result<T, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'a> &'a str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    match col {
        Col::Name(name) => row.try_get(name),
        Col::Pos(pos) => row.try_get(pos),
    }
}

impl<R> Fields for R
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text<'c>(&self, col: impl Into<Col<'c>>) -> Result<String, sqlx::Error> {
        get(self, col.into())
    }
    fn opt_text<'c>(&self, col: impl Into<Col<'c>>) -> Result<Option<String>, sqlx::Error> {
        get(self, col.into())
    }
    fn int<'c>(&self, col: impl Into<Col<'c>>) -> Result<i64, sqlx::Error> {
        get(self, col.into())
    }
    fn opt_int<'c>(&self, col: impl Into<Col<'c>>) -> Result<Option<i64>, sqlx::Error> {
        get(self, col.into())
    }
    fn boolean<'c>(&self, col: impl Into<Col<'c>>) -> Result<bool, sqlx::Error> {
        get(self, col.into())
    }
    fn opt_boolean<'c>(&self, col: impl Into<Col<'c>>) -> Result<Option<bool>, sqlx::Error> {
        get(self, col.into())
    }
}

/// A stored text column parsed back into its type; empty or NULL is `None`.
pub(crate) fn parse<T: FromStr>(col: &str, v: Option<String>) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
        })
        .transpose()
}

/// An xname read back from the database.
pub(crate) fn stored_xname(id: &str) -> Result<Xname, StoreError> {
    Xname::parse(id).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The xnames in the first column of `rows`.
pub(crate) fn xnames(rows: &[impl Fields]) -> Result<Vec<Xname>, StoreError> {
    rows.iter().map(|r| stored_xname(&r.text(0)?)).collect()
}

/// The names in the first column of `rows`.
pub(crate) fn names_of(rows: &[impl Fields]) -> Result<Vec<String>, StoreError> {
    rows.iter().map(|r| Ok(r.text(0)?)).collect()
}

/// The values read from `rows` that `keep` accepts, in row order.
pub(crate) fn kept<R, T>(
    rows: &[R],
    read: impl Fn(&R) -> Result<T, StoreError>,
    keep: impl Fn(&T) -> bool,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let value = read(row)?;
        if keep(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

/// A value as stored text, when it has one.
pub(crate) fn opt_str<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|x| x.to_string())
}

/// A value as JSON text.
pub(crate) fn json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}
