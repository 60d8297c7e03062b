// The convolution kernels compiled for avx512 (see CMakeLists.txt for the flags).
#include "kernels/conv_kernel_impl.hpp"

namespace rtconv::detail {

KernelSet make_kernels_avx512()
{
    return make_kernel_set<xsimd::avx512f>("avx512");
}

} // namespace rtconv::detail
