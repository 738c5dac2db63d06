//! An item list as CSV: UTF-8 text (a byte-order mark, as spreadsheet programs write
//! one, is skipped), comma-separated, fields quoted as RFC 4180 quotes them.

use super::SheetRow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's rows, numbered from 1 as a spreadsheet numbers the records it imports.
pub(super) fn rows(bytes: &[u8]) -> Result<Vec<SheetRow>, String> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..error.valid_up_to()]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count();
        return Err(format!(
            "the file is neither an XLSX workbook nor UTF-8 CSV text (line {line} is not \
             UTF-8): save it as \"CSV UTF-8\" or as an Excel workbook"
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let record =
            record.map_err(|error| format!("row {number} cannot be read as CSV: {error}"))?;
        rows.push(SheetRow {
            number,
            cells: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(rows)
}
