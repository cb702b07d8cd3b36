//! The compute device. CUDA is behind the `cuda` cargo feature and never required.

use crate::{Error, Result};
use candle_core::Device;

/// Opens the device named on the command line: `cpu`, `cuda` or `cuda:N`.
pub fn open(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        cuda if cuda == "cuda" || cuda.starts_with("cuda:") => {
            let ordinal = match cuda.strip_prefix("cuda:") {
                Some(n) => n
                    .parse::<usize>()
                    .map_err(|_| Error::setting(format!("--device {cuda}"), "expected cuda:N with N a GPU number"))?,
                None => 0,
            };
            if !candle_core::utils::cuda_is_available() {
                return Err(Error::setting(
                    format!("--device {cuda}"),
                    "this build has no CUDA support; rebuild with `cargo build --release --features cuda` or use \
                     --device cpu",
                ));
            }
            Ok(Device::new_cuda(ordinal)?)
        }
        other => Err(Error::setting(
            format!("--device {other}"),
            "unknown device; use cpu, cuda or cuda:N",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_opens_and_nonsense_is_named() {
        assert!(super::open("cpu").unwrap().is_cpu());
        assert!(super::open("tpu").unwrap_err().to_string().contains("tpu"));
    }
}
