// The convolution kernels compiled for arm64 NEON (Apple silicon, Linux arm64).
#include "kernels/conv_kernel_impl.hpp"

namespace rtconv::detail {

KernelSet make_kernels_neon64()
{
    return make_kernel_set<xsimd::neon64>("neon64");
}

} // namespace rtconv::detail
