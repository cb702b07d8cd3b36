//! Image folders (the torchvision ImageFolder convention): one sub-folder per
//! class, named for it, holding PNG or JPEG files. Every image becomes one
//! row of pixels in [0, 1] (grey, or RGB interleaved), all of one size:
//! either resized to a given size, or they must already share one.
//! Errors name the file or folder and the fix.

use super::Dataset;
use crate::{Error, Result};
use image::imageops::FilterType;
use std::path::{Path, PathBuf};

/// How images become rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLayout {
    /// Resize every image to `(width, height)`; `None`: they must share one size.
    pub size: Option<(u32, u32)>,
    /// One grey value per pixel (true) or three, RGB.
    pub grayscale: bool,
}

/// An image folder's rows, labels (positions in `class_names`), and its classes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFolder {
    /// The images, in class then file-name order.
    pub data: Dataset,
    /// The sub-folders' names, sorted: class `i` is `class_names[i]`.
    pub class_names: Vec<String>,
    /// Width and height of every row's image.
    pub size: (u32, u32),
}

/// Whether a file name is one `read_folder` decodes.
fn is_image(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg"))
}

/// Sorted entries of a folder, for a deterministic order.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::data(dir.display(), format!("cannot list the folder: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    out.sort();
    Ok(out)
}

/// Reads an image folder.
pub fn read_folder(root: &Path, layout: ImageLayout) -> Result<ImageFolder> {
    let classes: Vec<PathBuf> = sorted_entries(root)?.into_iter().filter(|p| p.is_dir()).collect();
    if classes.len() < 2 {
        return Err(Error::data(
            root.display(),
            format!(
                "holds {} class sub-folder(s); an image folder has one sub-folder per class (at least two), each \
                 holding that class's PNG or JPEG files",
                classes.len()
            ),
        ));
    }
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut size: Option<((u32, u32), PathBuf)> = None;
    for (class, dir) in classes.iter().enumerate() {
        let files: Vec<PathBuf> = sorted_entries(dir)?.into_iter().filter(|p| is_image(p)).collect();
        if files.is_empty() {
            return Err(Error::data(
                dir.display(),
                "holds no PNG or JPEG images: add its class's images or remove the folder",
            ));
        }
        for file in files {
            let img = image::open(&file).map_err(|e| {
                Error::data(
                    file.display(),
                    format!("cannot decode the image ({e}); replace or remove it"),
                )
            })?;
            let img = match layout.size {
                Some((w, h)) if (img.width(), img.height()) != (w, h) => img.resize_exact(w, h, FilterType::Triangle),
                _ => img,
            };
            let this = (img.width(), img.height());
            match &size {
                None => size = Some((this, file.clone())),
                Some((first, first_file)) if *first != this => {
                    return Err(Error::data(
                        file.display(),
                        format!(
                            "is {}x{} but {} is {}x{}: set task.image_size = [{}, {}] to resize every image",
                            this.0,
                            this.1,
                            first_file.display(),
                            first.0,
                            first.1,
                            first.0,
                            first.1
                        ),
                    ))
                }
                Some(_) => {}
            }
            if layout.grayscale {
                features.extend(img.to_luma8().into_raw().into_iter().map(|p| p as f32 / 255.0));
            } else {
                features.extend(img.to_rgb8().into_raw().into_iter().map(|p| p as f32 / 255.0));
            }
            labels.push(class as u32);
        }
    }
    let ((w, h), _) = size.expect("at least one image was read");
    Ok(ImageFolder {
        data: Dataset {
            features,
            labels,
            feature_len: (w * h) as usize * if layout.grayscale { 1 } else { 3 },
        },
        class_names: classes
            .iter()
            .map(|p| p.file_name().map_or(String::new(), |n| n.to_string_lossy().to_string()))
            .collect(),
        size: (w, h),
    })
}

#[cfg(test)]
pub(crate) mod tests_support {
    use std::path::Path;

    /// Writes a `w` x `h` PNG whose pixels are `value(x, y)` in grey.
    pub(crate) fn write_png(path: &Path, w: u32, h: u32, value: impl Fn(u32, u32) -> u8) {
        let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([value(x, y)]));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        img.save(path).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::write_png;
    use super::*;

    fn layout() -> ImageLayout {
        ImageLayout {
            size: None,
            grayscale: true,
        }
    }

    #[test]
    fn classes_are_sorted_sub_folders_and_pixels_scaled() {
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("dog/b.png"), 3, 2, |_, _| 255);
        write_png(&dir.path().join("dog/a.png"), 3, 2, |x, _| (x * 100) as u8);
        write_png(&dir.path().join("cat/z.png"), 3, 2, |_, _| 0);
        std::fs::write(dir.path().join("cat/notes.txt"), "not an image").unwrap();
        let f = read_folder(dir.path(), layout()).unwrap();
        assert_eq!(f.class_names, vec!["cat", "dog"]);
        assert_eq!(f.data.labels, vec![0, 1, 1]);
        assert_eq!((f.size, f.data.feature_len), ((3, 2), 6));
        // dog/a.png comes before dog/b.png: its first row is 0, 100/255, 200/255.
        assert!((f.data.row(1)[1] - 100.0 / 255.0).abs() < 1e-6);
        let rgb = read_folder(
            dir.path(),
            ImageLayout {
                size: Some((4, 4)),
                grayscale: false,
            },
        )
        .unwrap();
        assert_eq!((rgb.size, rgb.data.feature_len), ((4, 4), 48));
    }

    #[test]
    fn bad_folders_and_images_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("a/1.png"), 4, 4, |_, _| 9);
        let e = read_folder(dir.path(), layout()).unwrap_err().to_string();
        assert!(e.contains("1 class sub-folder"), "{e}");
        std::fs::create_dir(dir.path().join("b")).unwrap();
        let e = read_folder(dir.path(), layout()).unwrap_err().to_string();
        assert!(e.contains("/b") && e.contains("no PNG or JPEG"), "{e}");
        write_png(&dir.path().join("b/2.png"), 5, 4, |_, _| 9);
        let e = read_folder(dir.path(), layout()).unwrap_err().to_string();
        assert!(
            e.contains("2.png") && e.contains("5x4") && e.contains("image_size = [4, 4]"),
            "{e}"
        );
        std::fs::write(dir.path().join("b/2.png"), b"not a png").unwrap();
        let e = read_folder(dir.path(), layout()).unwrap_err().to_string();
        assert!(e.contains("2.png") && e.contains("cannot decode"), "{e}");
    }
}
