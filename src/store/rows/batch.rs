//! Rows written in one statement: values by column, which each dialect binds its own way
//! (SQLite one JSON array of rows, PostgreSQL one array per column).

/// One column's values, a value per row.
pub(crate) enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<bool>),
}

/// How one column is read from an item.
pub(crate) enum Read<'a, T> {
    Text(&'a dyn Fn(&T) -> Option<String>),
    Int(&'a dyn Fn(&T) -> Option<i64>),
    Bool(&'a dyn Fn(&T) -> bool),
}

/// Rows by column; every column holds the same number of values.
pub(crate) struct Rows {
    pub(crate) columns: Vec<Column>,
}

impl Rows {
    /// Rows of `items`, a column per reader.
    pub(crate) fn of<T>(items: &[T], readers: &[Read<'_, T>]) -> Rows {
        let columns = readers
            .iter()
            .map(|read| match read {
                Read::Text(f) => Column::Text(items.iter().map(f).collect()),
                Read::Int(f) => Column::Int(items.iter().map(f).collect()),
                Read::Bool(f) => Column::Bool(items.iter().map(f).collect()),
            })
            .collect();
        Rows { columns }
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        match self.columns.first() {
            Some(Column::Text(v)) => v.len(),
            Some(Column::Int(v)) => v.len(),
            Some(Column::Bool(v)) => v.len(),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_a_column_per_reader_in_item_order() {
        let items = [("a", 1_i64, true), ("b", 2, false)];
        let rows = Rows::of(
            &items,
            &[
                Read::Text(&|t| Some(t.0.to_string())),
                Read::Int(&|t| Some(t.1)),
                Read::Bool(&|t| t.2),
            ],
        );
        assert_eq!(rows.len(), 2);
        let texts = [Some("a".to_string()), Some("b".to_string())];
        assert!(matches!(&rows.columns[0], Column::Text(v) if v == &texts));
        assert!(matches!(&rows.columns[1], Column::Int(v) if v == &[Some(1), Some(2)]));
        assert!(matches!(&rows.columns[2], Column::Bool(v) if v == &[true, false]));
    }
}
