// The convolution kernels compiled for sse2 (see CMakeLists.txt for the flags).
#include "kernels/conv_kernel_impl.hpp"

namespace rtconv::detail {

KernelSet make_kernels_sse2()
{
    return make_kernel_set<xsimd::sse2>("sse2");
}

} // namespace rtconv::detail
