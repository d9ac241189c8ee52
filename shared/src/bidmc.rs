//! A reader for the plain numeric CSV files PhysioNet publishes (BIDMC
//! `*_Numerics.csv` and `*_Signals.csv`, MIMIC-II numerics CSV): a header row
//! of column names and rows of numbers, an empty cell meaning missing.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: column {column} {value:?} is not a number")]
    NotANumber { line: usize, column: String, value: String },
    #[error("line {line}: {got} cells where the header has {want}")]
    Width { line: usize, got: usize, want: usize },
}

/// Columns by trimmed name, each a vector of optional numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<f64>>>,
}

impl Table {
    pub fn parse(text: &str) -> Result<Table, CsvError> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, head) = lines.next().ok_or(CsvError::Empty)?;
        let columns: Vec<String> = head.split(',').map(|c| c.trim().to_string()).collect();
        let mut rows = Vec::new();
        for (i, line) in lines {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != columns.len() {
                return Err(CsvError::Width { line: i + 1, got: cells.len(), want: columns.len() });
            }
            let mut row = Vec::with_capacity(cells.len());
            for (c, cell) in cells.iter().enumerate() {
                let cell = cell.trim();
                if cell.is_empty() {
                    row.push(None);
                } else {
                    let v: f64 = cell.parse().map_err(|_| CsvError::NotANumber {
                        line: i + 1,
                        column: columns[c].clone(),
                        value: cell.to_string(),
                    })?;
                    row.push(Some(v).filter(|v| v.is_finite()));
                }
            }
            rows.push(row);
        }
        Ok(Table { columns, rows })
    }

    /// Index of a column by name, ignoring case.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_bidmc_numerics_with_floats_and_gaps() {
        let t = Table::parse(",Time [s], HR, PULSE, RESP, SpO2\n0,0,94,93.0,25,97.0\n1,1,94,,25,97.0\n").unwrap();
        assert_eq!(t.column("spo2"), Some(5));
        assert_eq!(t.rows[1][3], None);
        assert_eq!(t.rows[0][3], Some(93.0));
    }

    #[test]
    fn rejects_text_in_number_cells_with_line_and_column() {
        let e = Table::parse("a,b\n1,x\n").unwrap_err();
        assert_eq!(e, CsvError::NotANumber { line: 2, column: "b".into(), value: "x".into() });
        assert_eq!(Table::parse("a,b\n1\n").unwrap_err(), CsvError::Width { line: 2, got: 1, want: 2 });
    }
}
