// Templates, translations, static assets and migrations are compiled into the binary;
// rebuild when any of them changes.
fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=migrations");
}
