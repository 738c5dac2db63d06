use rust_decimal::Decimal;

use super::*;

fn csv(text: &str) -> Result<Vec<LotItem>, ImportErrors> {
    parse(text.as_bytes(), ItemFileFormat::Csv)
}

fn cells(errors: &ImportErrors) -> Vec<(Option<u32>, Option<&str>, &str)> {
    errors
        .errors
        .iter()
        .map(|error| (error.row, error.column.as_deref(), error.message.as_str()))
        .collect()
}

#[test]
fn a_csv_list_reads_every_item_in_order() {
    let items =
        csv("name,quantity,unit,notes\nExcavator,2,台,\"Komatsu, 2019\"\nSteel pipe,12.50,t,\n")
            .unwrap();
    assert_eq!(
        items,
        vec![
            LotItem {
                name: "Excavator".to_owned(),
                quantity: Decimal::from(2),
                unit: "台".to_owned(),
                notes: "Komatsu, 2019".to_owned(),
            },
            LotItem {
                name: "Steel pipe".to_owned(),
                quantity: Decimal::new(125, 1),
                unit: "t".to_owned(),
                notes: String::new(),
            },
        ]
    );
}

#[test]
fn headers_may_be_chinese_in_any_order_with_a_byte_order_mark() {
    let items = csv("\u{feff}数量, 名称 \r\n3,办公桌\r\n").unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].name, "办公桌");
    assert_eq!(items[0].quantity, Decimal::from(3));
    assert_eq!(items[0].unit, "");
}

#[test]
fn every_bad_cell_is_named_by_its_row_and_column() {
    let long_name = "x".repeat(MAX_LOT_ITEM_NAME_CHARS + 1);
    let text = format!(
        "name,quantity,unit\n,1,台\nDesk,-2,台\n{long_name},1,\nChair,abc,把\nLamp,0,\nFan,1.1234567,\n"
    );
    let errors = csv(&text).unwrap_err();
    assert_eq!(
        cells(&errors),
        vec![
            (Some(2), Some("A"), "name is missing"),
            (
                Some(3),
                Some("B"),
                "quantity must be a positive decimal, such as 3 or 2.5, not \"-2\""
            ),
            (
                Some(4),
                Some("A"),
                "name is 201 characters long: at most 200"
            ),
            (
                Some(5),
                Some("B"),
                "quantity must be a positive decimal, such as 3 or 2.5, not \"abc\""
            ),
            (
                Some(6),
                Some("B"),
                "quantity must be a positive decimal, such as 3 or 2.5, not zero"
            ),
            (Some(7), Some("B"), "quantity has at most 6 decimal places"),
        ]
    );
    assert!(!errors.truncated);
    assert!(
        errors
            .summary()
            .starts_with("the item list was refused: A2: name is missing")
    );
}

#[test]
fn an_unknown_or_repeated_header_and_a_missing_column_are_refused() {
    let errors = csv("name,price,name\nDesk,3,Desk\n").unwrap_err();
    assert_eq!(
        cells(&errors),
        vec![
            (
                Some(1),
                Some("B"),
                "unknown header \"price\": the columns are name, quantity, unit and notes"
            ),
            (Some(1), Some("C"), "the column name appears twice"),
            (Some(1), None, "the header row has no quantity column"),
            (
                Some(2),
                Some("B"),
                "a cell under no known header: the columns are name, quantity, unit and notes"
            ),
            (
                Some(2),
                Some("C"),
                "a cell under no known header: the columns are name, quantity, unit and notes"
            ),
        ]
    );
}

#[test]
fn an_empty_file_or_one_without_items_is_refused() {
    assert!(csv("").unwrap_err().errors[0].message.contains("empty"));
    assert!(
        csv("name,quantity\n,,\n").unwrap_err().errors[0]
            .message
            .contains("no item")
    );
}

#[test]
fn control_characters_and_text_that_is_not_utf8_are_refused() {
    let errors = csv("name,quantity\n\"Desk\u{7}\",1\n").unwrap_err();
    assert_eq!(
        cells(&errors),
        vec![(
            Some(2),
            Some("A"),
            "name must not contain control characters"
        )]
    );
    let errors = parse(b"name,quantity\n\xD7\xC0,1\n", ItemFileFormat::Csv).unwrap_err();
    assert!(errors.errors[0].message.contains("line 2 is not UTF-8"));
    assert_eq!(errors.errors[0].row, None);
}

#[test]
fn a_list_over_the_row_limit_is_refused_at_the_first_row_past_it() {
    let mut text = "name,quantity\n".to_owned();
    for index in 0..=MAX_LOT_ITEMS {
        text.push_str(&format!("item {index},1\n"));
    }
    let errors = csv(&text).unwrap_err();
    assert_eq!(
        cells(&errors),
        vec![(
            Some(MAX_LOT_ITEMS as u32 + 2),
            None,
            "a lot has at most 2000 items"
        )]
    );
}

#[test]
fn at_most_a_hundred_errors_are_listed() {
    let mut text = "name,quantity\n".to_owned();
    for _ in 0..150 {
        text.push_str(",0\n");
    }
    let errors = csv(&text).unwrap_err();
    assert_eq!(errors.errors.len(), MAX_REPORTED_CELL_ERRORS);
    assert!(errors.truncated);
}

#[test]
fn columns_are_lettered_as_a_spreadsheet_letters_them() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(column_letter(701), "ZZ");
    assert_eq!(column_letter(702), "AAA");
}

#[test]
fn an_xlsx_workbook_is_read_from_its_first_sheet_with_its_row_numbers() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    // The table starts at B3: rows 1-2 and column A are empty.
    sheet.write_string(2, 1, "名称").unwrap();
    sheet.write_string(2, 2, "数量").unwrap();
    sheet.write_string(2, 3, "单位").unwrap();
    sheet.write_string(3, 1, "Forklift").unwrap();
    sheet.write_number(3, 2, 2.5).unwrap();
    sheet.write_string(3, 3, "台").unwrap();
    sheet.write_string(4, 1, "Crane").unwrap();
    sheet.write_number(4, 2, 0.1).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    assert_eq!(ItemFileFormat::of(&bytes), ItemFileFormat::Xlsx);
    let items = parse(&bytes, ItemFileFormat::Xlsx).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].quantity, Decimal::new(25, 1));
    assert_eq!(items[1].quantity, Decimal::new(1, 1));
    assert_eq!(items[0].unit, "台");

    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(2, 1, "name").unwrap();
    sheet.write_string(2, 2, "quantity").unwrap();
    sheet.write_string(3, 1, "Forklift").unwrap();
    sheet.write_number(3, 2, -1.0).unwrap();
    let errors = parse(&workbook.save_to_buffer().unwrap(), ItemFileFormat::Xlsx).unwrap_err();
    assert_eq!(
        cells(&errors),
        vec![(
            Some(4),
            Some("C"),
            "quantity must be a positive decimal, such as 3 or 2.5, not \"-1\""
        )]
    );
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused_as_a_file() {
    let errors = parse(b"PK\x03\x04 not really", ItemFileFormat::Xlsx).unwrap_err();
    assert_eq!(errors.errors[0].row, None);
    assert!(errors.errors[0].message.contains("XLSX"));
}

#[test]
fn a_workbook_that_would_unpack_past_the_limit_is_refused_before_it_is_read() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "name").unwrap();
    sheet.write_string(0, 1, "quantity").unwrap();
    // Long texts, each its own (a workbook keeps a repeated text once), compress to
    // little and unpack to much.
    let notes = "n".repeat(32_000);
    for row in 1..1_200 {
        sheet.write_string(row, 2, format!("{row}{notes}")).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    assert!(
        bytes.len() < crate::limits::MAX_LOT_ITEMS_FILE_BYTES,
        "{}",
        bytes.len()
    );
    let errors = parse(&bytes, ItemFileFormat::Xlsx).unwrap_err();
    assert!(
        errors.errors[0].message.contains("unpacks to"),
        "{errors:?}"
    );
}
