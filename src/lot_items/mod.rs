//! A lot's item list (SPEC §11): what an asset package holds, one row per item (name,
//! quantity, unit, notes), imported from a CSV or XLSX file.
//!
//! The import is all or nothing: [`parse`] reads the whole file and either answers every
//! item or every bad cell, each named by its row and column as a spreadsheet shows them
//! (row 1 is the header row, columns are letters). Nothing is stored unless every cell is
//! good.
//!
//! The file's first row names its columns, in any order: `name` and `quantity` are
//! required, `unit` and `notes` optional (the Chinese headers 名称, 数量, 单位, 备注 are the
//! same columns; case and surrounding blanks are ignored). A row whose cells are all
//! blank is skipped. A quantity is a positive decimal of at most
//! [`MAX_QUANTITY_DECIMALS`] places, below 10^[`MAX_QUANTITY_INTEGER_DIGITS`].

mod csv_file;
mod xlsx_file;

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::limits::{
    MAX_LOT_ITEM_NAME_CHARS, MAX_LOT_ITEM_NOTES_CHARS, MAX_LOT_ITEM_UNIT_CHARS, MAX_LOT_ITEMS,
};
use crate::text::{TextKind, has_forbidden_character};

/// The most decimal places a quantity has (grams of a kilogram, parts of a share).
pub const MAX_QUANTITY_DECIMALS: u32 = 6;

/// A quantity is below 10^12: more than any real package holds, and within NUMERIC's reach.
pub const MAX_QUANTITY_INTEGER_DIGITS: u32 = 12;

/// The most cell errors one answer lists; a file that is wrong everywhere would otherwise
/// answer with as many errors as it has cells.
pub const MAX_REPORTED_CELL_ERRORS: usize = 100;

/// One item of a lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotItem {
    pub name: String,
    /// Positive, canonical (no trailing zeros).
    pub quantity: Decimal,
    pub unit: String,
    pub notes: String,
}

/// The file formats an item list comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemFileFormat {
    Csv,
    Xlsx,
}

impl ItemFileFormat {
    /// What the bytes are: an XLSX file is a ZIP archive (it starts with `PK\x03\x04`);
    /// anything else is read as CSV text.
    pub fn of(bytes: &[u8]) -> ItemFileFormat {
        if bytes.starts_with(b"PK\x03\x04") {
            ItemFileFormat::Xlsx
        } else {
            ItemFileFormat::Csv
        }
    }
}

/// A bad cell (or a bad file: then `row` and `column` are absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CellError {
    /// The row as the spreadsheet numbers it: 1 is the header row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// The column's letter, as the spreadsheet names it (`A`, `B`, ..., `AA`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "B")]
    pub column: Option<String>,
    /// The column's field (`name`, `quantity`, `unit`, `notes`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "quantity")]
    pub field: Option<&'static str>,
    #[schema(example = "quantity must be a positive decimal, such as 3 or 2.5")]
    pub message: String,
}

impl CellError {
    fn file(message: impl Into<String>) -> CellError {
        CellError {
            row: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }

    fn at(row: u32, column: usize, field: Option<Field>, message: impl Into<String>) -> CellError {
        CellError {
            row: Some(row),
            column: Some(column_letter(column)),
            field: field.map(Field::as_str),
            message: message.into(),
        }
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.row, &self.column) {
            (Some(row), Some(column)) => write!(formatter, "{column}{row}: {}", self.message),
            (Some(row), None) => write!(formatter, "row {row}: {}", self.message),
            _ => formatter.write_str(&self.message),
        }
    }
}

/// Every bad cell of a refused file, in row then column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportErrors {
    pub errors: Vec<CellError>,
    /// More errors were found than [`MAX_REPORTED_CELL_ERRORS`].
    pub truncated: bool,
}

impl ImportErrors {
    fn one(error: CellError) -> ImportErrors {
        ImportErrors {
            errors: vec![error],
            truncated: false,
        }
    }

    /// One sentence for the error's `message`: the first error, and how many more.
    pub fn summary(&self) -> String {
        let first = self.errors.first().map(ToString::to_string);
        let more = self.errors.len().saturating_sub(1);
        match (first, more, self.truncated) {
            (None, ..) => "the item list was refused".to_owned(),
            (Some(first), 0, _) => format!("the item list was refused: {first}"),
            (Some(first), more, false) => {
                format!("the item list was refused: {first} (and {more} more errors)")
            }
            (Some(first), more, true) => {
                format!("the item list was refused: {first} (and more than {more} more errors)")
            }
        }
    }
}

/// A column of the item list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Name,
    Quantity,
    Unit,
    Notes,
}

impl Field {
    const ALL: [Field; 4] = [Field::Name, Field::Quantity, Field::Unit, Field::Notes];

    fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Quantity => "quantity",
            Field::Unit => "unit",
            Field::Notes => "notes",
        }
    }

    fn from_header(header: &str) -> Option<Field> {
        let header = header.trim().to_lowercase();
        Some(match header.as_str() {
            "name" | "名称" => Field::Name,
            "quantity" | "数量" => Field::Quantity,
            "unit" | "单位" => Field::Unit,
            "notes" | "备注" => Field::Notes,
            _ => return None,
        })
    }

    fn max_chars(self) -> usize {
        match self {
            Field::Name => MAX_LOT_ITEM_NAME_CHARS,
            Field::Quantity => 40,
            Field::Unit => MAX_LOT_ITEM_UNIT_CHARS,
            Field::Notes => MAX_LOT_ITEM_NOTES_CHARS,
        }
    }

    fn text_kind(self) -> TextKind {
        match self {
            Field::Notes => TextKind::Long,
            _ => TextKind::Line,
        }
    }
}

/// A spreadsheet's name of the zero-based `column`: 0 is `A`, 25 `Z`, 26 `AA`.
pub fn column_letter(column: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = column + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(b'A' + digit as u8);
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// One row of cells as text, with the spreadsheet row number it came from.
struct SheetRow {
    number: u32,
    cells: Vec<String>,
}

/// Reads an item list from `bytes` in `format`: every item, or every bad cell.
pub fn parse(bytes: &[u8], format: ItemFileFormat) -> Result<Vec<LotItem>, ImportErrors> {
    let rows = match format {
        ItemFileFormat::Csv => csv_file::rows(bytes),
        ItemFileFormat::Xlsx => xlsx_file::rows(bytes),
    }
    .map_err(|message| ImportErrors::one(CellError::file(message)))?;
    items_from_rows(rows)
}

/// The items of a sheet whose first row (the first with any text) is the header.
fn items_from_rows(rows: Vec<SheetRow>) -> Result<Vec<LotItem>, ImportErrors> {
    let mut rows = rows
        .into_iter()
        .filter(|row| row.cells.iter().any(|cell| !cell.trim().is_empty()));
    let Some(header) = rows.next() else {
        return Err(ImportErrors::one(CellError::file(
            "the file is empty: its first row names the columns (name, quantity, unit, notes)",
        )));
    };
    let mut errors = Collected::default();
    let columns = header_columns(&header, &mut errors);
    let mut items = Vec::new();
    for row in rows {
        if items.len() == MAX_LOT_ITEMS {
            errors.push(CellError {
                row: Some(row.number),
                column: None,
                field: None,
                message: format!("a lot has at most {MAX_LOT_ITEMS} items"),
            });
            break;
        }
        if let Some(item) = row_item(&row, &columns, &mut errors) {
            items.push(item);
        }
    }
    if items.is_empty() && errors.errors.is_empty() {
        errors.push(CellError::file(
            "the file has a header row but no item below it",
        ));
    }
    if errors.errors.is_empty() {
        Ok(items)
    } else {
        Err(errors.finish())
    }
}

/// The errors found so far, at most [`MAX_REPORTED_CELL_ERRORS`] of them kept.
#[derive(Default)]
struct Collected {
    errors: Vec<CellError>,
    truncated: bool,
}

impl Collected {
    fn push(&mut self, error: CellError) {
        if self.errors.len() < MAX_REPORTED_CELL_ERRORS {
            self.errors.push(error);
        } else {
            self.truncated = true;
        }
    }

    fn finish(self) -> ImportErrors {
        ImportErrors {
            errors: self.errors,
            truncated: self.truncated,
        }
    }
}

/// Which field each column holds (`None` for a blank header over blank cells); an unknown,
/// repeated or missing header is an error.
fn header_columns(header: &SheetRow, errors: &mut Collected) -> Vec<Option<Field>> {
    let mut columns = Vec::with_capacity(header.cells.len());
    for (index, cell) in header.cells.iter().enumerate() {
        let text = cell.trim();
        if text.is_empty() {
            columns.push(None);
            continue;
        }
        match Field::from_header(text) {
            Some(field) if columns.contains(&Some(field)) => {
                errors.push(CellError::at(
                    header.number,
                    index,
                    Some(field),
                    format!("the column {} appears twice", field.as_str()),
                ));
                columns.push(None);
            }
            Some(field) => columns.push(Some(field)),
            None => {
                errors.push(CellError::at(
                    header.number,
                    index,
                    None,
                    format!(
                        "unknown header {:?}: the columns are name, quantity, unit and notes",
                        truncated_for_message(text)
                    ),
                ));
                columns.push(None);
            }
        }
    }
    for required in [Field::Name, Field::Quantity] {
        if !columns.contains(&Some(required)) {
            errors.push(CellError {
                row: Some(header.number),
                column: None,
                field: Some(required.as_str()),
                message: format!("the header row has no {} column", required.as_str()),
            });
        }
    }
    columns
}

/// The item of one row, or `None` after recording its bad cells.
fn row_item(row: &SheetRow, columns: &[Option<Field>], errors: &mut Collected) -> Option<LotItem> {
    let mut values: [Option<String>; 4] = Default::default();
    let mut refused = [false; 4];
    let mut good = true;
    for (index, cell) in row.cells.iter().enumerate() {
        let text = cell.trim();
        match columns.get(index).copied().flatten() {
            Some(field) => {
                if let Err(message) = check_text(field, text) {
                    errors.push(CellError::at(row.number, index, Some(field), message));
                    refused[field_index(field)] = true;
                    good = false;
                } else {
                    values[field_index(field)] = Some(text.to_owned());
                }
            }
            None if !text.is_empty() => {
                errors.push(CellError::at(
                    row.number,
                    index,
                    None,
                    "a cell under no known header: the columns are name, quantity, unit and notes",
                ));
                good = false;
            }
            None => {}
        }
    }
    let [name, quantity, unit, notes] = values;
    let column_of = |field: Field| {
        columns
            .iter()
            .position(|column| *column == Some(field))
            .unwrap_or(row.cells.len())
    };
    let name = name.unwrap_or_default();
    let present = |field: Field| columns.contains(&Some(field)) && !refused[field_index(field)];
    if name.is_empty() && present(Field::Name) {
        errors.push(CellError::at(
            row.number,
            column_of(Field::Name),
            Some(Field::Name),
            "name is missing",
        ));
        good = false;
    }
    let quantity = match quantity.as_deref().map(parse_quantity) {
        Some(Ok(quantity)) => Some(quantity),
        Some(Err(message)) => {
            errors.push(CellError::at(
                row.number,
                column_of(Field::Quantity),
                Some(Field::Quantity),
                message,
            ));
            None
        }
        None if present(Field::Quantity) => {
            errors.push(CellError::at(
                row.number,
                column_of(Field::Quantity),
                Some(Field::Quantity),
                "quantity is missing",
            ));
            None
        }
        None => None,
    };
    match (good, quantity) {
        (true, Some(quantity)) => Some(LotItem {
            name,
            quantity,
            unit: unit.unwrap_or_default(),
            notes: notes.unwrap_or_default(),
        }),
        _ => None,
    }
}

fn field_index(field: Field) -> usize {
    Field::ALL
        .iter()
        .position(|candidate| *candidate == field)
        .expect("every field is in ALL")
}

/// A cell's text within its field's length and characters.
fn check_text(field: Field, text: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > field.max_chars() {
        return Err(format!(
            "{} is {chars} characters long: at most {}",
            field.as_str(),
            field.max_chars()
        ));
    }
    if has_forbidden_character(text, field.text_kind()) {
        return Err(crate::text::forbidden_character_message(
            field.as_str(),
            field.text_kind(),
        ));
    }
    Ok(())
}

/// A positive decimal of at most [`MAX_QUANTITY_DECIMALS`] places, below
/// 10^[`MAX_QUANTITY_INTEGER_DIGITS`]; an empty cell is missing.
fn parse_quantity(text: &str) -> Result<Decimal, String> {
    const SHAPE: &str = "quantity must be a positive decimal, such as 3 or 2.5";
    if text.is_empty() {
        return Err("quantity is missing".to_owned());
    }
    let well_formed = text
        .bytes()
        .all(|byte| byte.is_ascii_digit() || byte == b'.')
        && text.bytes().filter(|byte| *byte == b'.').count() <= 1
        && text.bytes().any(|byte| byte.is_ascii_digit());
    if !well_formed {
        return Err(format!("{SHAPE}, not {:?}", truncated_for_message(text)));
    }
    let quantity = Decimal::from_str(text)
        .map_err(|_| format!("{SHAPE}, not {:?}", truncated_for_message(text)))?
        .normalize();
    if quantity.is_zero() {
        return Err(format!("{SHAPE}, not zero"));
    }
    if quantity.scale() > MAX_QUANTITY_DECIMALS {
        return Err(format!(
            "quantity has at most {MAX_QUANTITY_DECIMALS} decimal places"
        ));
    }
    if quantity >= Decimal::from(10u64.pow(MAX_QUANTITY_INTEGER_DIGITS)) {
        return Err(format!(
            "quantity is below 10^{MAX_QUANTITY_INTEGER_DIGITS}"
        ));
    }
    Ok(quantity)
}

/// At most 40 characters of a client's text, to quote it in a message.
fn truncated_for_message(text: &str) -> String {
    const QUOTED_CHARS: usize = 40;
    if text.chars().count() <= QUOTED_CHARS {
        text.to_owned()
    } else {
        let mut quoted: String = text.chars().take(QUOTED_CHARS).collect();
        quoted.push('…');
        quoted
    }
}

#[cfg(test)]
mod tests;
