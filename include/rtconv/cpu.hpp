#pragma once
// Which SIMD kernels rtconv runs. The best set this CPU supports is chosen at start-up;
// tests and benchmarks may pin another one.
#include "rtconv/tensor.hpp"

#include <string>
#include <vector>

namespace rtconv {

/// Instruction sets compiled into this build that this CPU can run, best last ("sse2", "avx2", "avx512").
std::vector<std::string> available_kernel_archs();
/// The set in use now.
std::string kernel_arch();
/// Pins the kernels to `arch` (one of available_kernel_archs()); throws rtconv::Error otherwise.
/// Not thread-safe: call it before processing starts.
void select_kernel_arch(const std::string& arch);

/// This core's peak rate of scalar multiply-adds per second in `dtype`, measured now with a
/// tight loop of independent fused multiply-adds on the kernels' instruction set. Benchmarks
/// quote their speed as a share of it, measured in the same run.
double measure_fma_peak(DType dtype, double seconds = 0.2);

} // namespace rtconv
