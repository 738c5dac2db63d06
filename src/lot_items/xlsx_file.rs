//! An item list as an XLSX workbook: its first sheet, read with calamine.
//!
//! A number cell is the shortest decimal that reads back as the same binary number
//! (Excel keeps numbers as binary floating point: the cell showing 2.5 holds 2.5 exactly,
//! the one showing 0.1 the float nearest it, which is written back as `0.1`); it is text
//! from then on and never computed with.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::SheetRow;
use crate::limits::MAX_LOT_ITEMS_XLSX_UNPACKED_BYTES;

/// The first sheet's rows, numbered as the sheet numbers them (row 1 at the top, even when
/// the sheet's first rows are empty).
pub(super) fn rows(bytes: &[u8]) -> Result<Vec<SheetRow>, String> {
    check_unpacked_size(bytes)?;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|error| format!("the file cannot be read as an XLSX workbook: {error}"))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(|error| format!("the first sheet cannot be read: {error}"))?,
        None => return Err("the workbook has no sheet".to_owned()),
    };
    let Some((first_row, first_column)) = range.start() else {
        return Ok(Vec::new());
    };
    let leading_blanks = vec![String::new(); first_column as usize];
    Ok(range
        .rows()
        .enumerate()
        .map(|(index, cells)| SheetRow {
            number: first_row + 1 + index as u32,
            cells: leading_blanks
                .iter()
                .cloned()
                .chain(cells.iter().map(cell_text))
                .collect(),
        })
        .collect())
}

/// Refuses an archive whose entries declare more than
/// [`MAX_LOT_ITEMS_XLSX_UNPACKED_BYTES`] in all (read from its central directory, before
/// anything is unpacked).
fn check_unpacked_size(bytes: &[u8]) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| format!("the file cannot be read as an XLSX workbook: {error}"))?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|error| format!("the file cannot be read as an XLSX workbook: {error}"))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_LOT_ITEMS_XLSX_UNPACKED_BYTES {
        return Err(format!(
            "the workbook unpacks to {} MiB: at most {} MiB",
            total / (1024 * 1024),
            MAX_LOT_ITEMS_XLSX_UNPACKED_BYTES / (1024 * 1024)
        ));
    }
    Ok(())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => number.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(date) => date.to_string(),
        Data::Error(error) => format!("#{error:?}"),
    }
}
