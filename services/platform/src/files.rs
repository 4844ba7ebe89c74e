//! Uploaded files (merchant documents, product images), kept in an object store.
//!
//! The store is chosen by `POS_OBJECT_STORE_URL` (see `docs/configuration.md`): a local directory
//! (`file:///var/lib/pos/objects`, the default for one machine), `memory://` (tests), or an S3 or
//! S3-compatible bucket (`s3://bucket/prefix`, credentials and endpoint from the usual `AWS_*`
//! variables). We use the `object_store` crate (Apache Arrow's, used by DataFusion, Delta-rs and
//! GreptimeDB) rather than one SDK per backend: one API, and the backend is configuration.
//!
//! A file's type is decided by its content (magic bytes, through the `infer` crate), never by the
//! name or the type a client claims; a file larger than [`MAX_FILE_BYTES`] or of a type the caller
//! does not accept is refused before anything is written.

use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

/// The largest file an upload may carry: 10 MiB.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// A kind of file the platform accepts, recognised by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `application/pdf`.
    Pdf,
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/webp`.
    Webp,
}

impl FileKind {
    /// Documents: PDF or a scan as PNG, JPEG or WebP.
    pub const DOCUMENTS: &'static [FileKind] =
        &[FileKind::Pdf, FileKind::Png, FileKind::Jpeg, FileKind::Webp];
    /// Images: PNG, JPEG or WebP.
    pub const IMAGES: &'static [FileKind] = &[FileKind::Png, FileKind::Jpeg, FileKind::Webp];

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Webp => "image/webp",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Webp => "webp",
        }
    }

    /// The kind `content` is, by its magic bytes; `None` when it is none of these.
    pub fn sniff(content: &[u8]) -> Option<FileKind> {
        match infer::get(content)?.mime_type() {
            "application/pdf" => Some(FileKind::Pdf),
            "image/png" => Some(FileKind::Png),
            "image/jpeg" => Some(FileKind::Jpeg),
            "image/webp" => Some(FileKind::Webp),
            _ => None,
        }
    }

    /// The kind of a stored media type.
    pub fn from_media_type(media_type: &str) -> Option<FileKind> {
        [FileKind::Pdf, FileKind::Png, FileKind::Jpeg, FileKind::Webp]
            .into_iter()
            .find(|kind| kind.media_type() == media_type)
    }
}

/// Why a file was refused or could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The upload carried no bytes.
    #[error("the file is empty")]
    Empty,
    /// The upload is larger than [`MAX_FILE_BYTES`].
    #[error("the file has {size} bytes; at most {MAX_FILE_BYTES} are accepted")]
    TooLarge {
        /// The file's size in bytes.
        size: usize,
    },
    /// The content is not one of the accepted kinds.
    #[error("the file's content is not one of: {accepted}")]
    UnsupportedType {
        /// The accepted media types, comma-separated.
        accepted: String,
    },
    /// No object at this key.
    #[error("no stored file at {0}")]
    NotFound(String),
    /// The store failed (unreachable, permissions…).
    #[error("the object store failed: {0}")]
    Store(#[source] object_store::Error),
}

impl From<object_store::Error> for FileError {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { path, .. } => FileError::NotFound(path),
            other => FileError::Store(other),
        }
    }
}

/// A file that passed the checks, ready to store.
#[derive(Clone, Debug)]
pub struct CheckedFile {
    /// What the content is.
    pub kind: FileKind,
    /// The bytes.
    pub content: Bytes,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

impl CheckedFile {
    /// Checks `content` against the size limit and the `accepted` kinds.
    pub fn check(content: Bytes, accepted: &[FileKind]) -> Result<CheckedFile, FileError> {
        if content.is_empty() {
            return Err(FileError::Empty);
        }
        if content.len() > MAX_FILE_BYTES {
            return Err(FileError::TooLarge { size: content.len() });
        }
        let kind = FileKind::sniff(&content)
            .filter(|kind| accepted.contains(kind))
            .ok_or_else(|| FileError::UnsupportedType {
                accepted: accepted
                    .iter()
                    .map(|kind| kind.media_type())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let sha256 = format!("{:x}", Sha256::digest(&content));
        Ok(CheckedFile {
            kind,
            content,
            sha256,
        })
    }

    /// The size in bytes.
    pub fn size(&self) -> i64 {
        i64::try_from(self.content.len()).unwrap_or(i64::MAX)
    }
}

/// The object store of the process.
#[derive(Clone, Debug)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
}

impl Files {
    /// Opens the store named by `url`: `file:///dir` or a plain directory path (created if
    /// missing), `memory://`, or `s3://bucket[/prefix]`.
    pub fn open(url: &str) -> anyhow::Result<Files> {
        let store: Arc<dyn ObjectStore> = if url == "memory://" || url == "memory:///" {
            Arc::new(object_store::memory::InMemory::new())
        } else if url.starts_with("s3://") {
            Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()?,
            )
        } else {
            let directory = url.strip_prefix("file://").unwrap_or(url);
            std::fs::create_dir_all(directory).map_err(|error| {
                anyhow::anyhow!("creating the object store directory {directory}: {error}")
            })?;
            let directory = std::fs::canonicalize(directory)?;
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(directory)?)
        };
        Ok(Files { store })
    }

    /// An in-memory store (tests).
    pub fn in_memory() -> Files {
        Files {
            store: Arc::new(object_store::memory::InMemory::new()),
        }
    }

    /// Stores `file` under `key` (e.g. `merchant/documents/<id>/<version>.pdf`), replacing any
    /// object there.
    pub async fn put(&self, key: &str, file: &CheckedFile) -> Result<(), FileError> {
        self.store
            .put(&Path::from(key), PutPayload::from(file.content.clone()))
            .await?;
        Ok(())
    }

    /// The bytes stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes, FileError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Deletes the object under `key`; deleting a missing object succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), FileError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(FileError::Store(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";

    #[test]
    fn a_file_is_recognised_by_its_content() {
        assert_eq!(FileKind::sniff(PNG), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(PDF), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"just some text, named photo.png"), None);
    }

    #[test]
    fn a_pdf_is_not_an_image() {
        let refused = CheckedFile::check(Bytes::from_static(PDF), FileKind::IMAGES);
        assert!(
            matches!(refused, Err(FileError::UnsupportedType { .. })),
            "{refused:?}"
        );
        assert!(CheckedFile::check(Bytes::from_static(PDF), FileKind::DOCUMENTS).is_ok());
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert!(matches!(
            CheckedFile::check(Bytes::new(), FileKind::DOCUMENTS),
            Err(FileError::Empty)
        ));
        let mut big = PNG.to_vec();
        big.resize(MAX_FILE_BYTES + 1, 0);
        assert!(matches!(
            CheckedFile::check(Bytes::from(big), FileKind::IMAGES),
            Err(FileError::TooLarge { size }) if size == MAX_FILE_BYTES + 1
        ));
    }

    #[tokio::test]
    async fn a_stored_file_reads_back_and_deletes_idempotently() {
        let directory = std::env::temp_dir().join(format!("pos-files-{}", uuid::Uuid::now_v7()));
        let files = Files::open(&format!("file://{}", directory.display())).unwrap();
        let file = CheckedFile::check(Bytes::from_static(PNG), FileKind::IMAGES).unwrap();
        files.put("product/images/a.png", &file).await.unwrap();
        assert_eq!(
            files.get("product/images/a.png").await.unwrap(),
            Bytes::from_static(PNG)
        );
        files.delete("product/images/a.png").await.unwrap();
        files.delete("product/images/a.png").await.unwrap();
        assert!(matches!(
            files.get("product/images/a.png").await,
            Err(FileError::NotFound(_))
        ));
        std::fs::remove_dir_all(directory).unwrap();
    }
}
