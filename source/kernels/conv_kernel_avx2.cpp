// The convolution kernels compiled for avx2 (see CMakeLists.txt for the flags).
#include "kernels/conv_kernel_impl.hpp"

namespace rtconv::detail {

KernelSet make_kernels_avx2()
{
    return make_kernel_set<xsimd::fma3<xsimd::avx2>>("avx2");
}

} // namespace rtconv::detail
