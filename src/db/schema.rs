//! The portable schema: one `table!` per table, using only types both engines share.

diesel::table! {
    communities (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        name_en -> Text,
        district -> Text,
        created_at -> Timestamp,
    }
}
