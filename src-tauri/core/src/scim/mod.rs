//! The SCIM 2.0 protocol with no I/O: resources and schemas, the filter grammar, PATCH, list
//! queries and errors. The server and the directory build on it; it knows nothing of HTTP or SQL.

pub mod error;
pub mod filter;
pub mod limits;
pub mod list;
pub mod patch;
pub mod patch_path;
pub mod path;
pub mod schema;
pub mod urn;

pub use error::{ScimError, ScimType};
