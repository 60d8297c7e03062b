#include "conv_kernel.hpp"

#include "rtconv/cpu.hpp"
#include "rtconv/error.hpp"

#include <algorithm>
#include <chrono>

namespace rtconv::detail {

// One factory per instruction set, each in its own translation unit (kernels/conv_kernel_*.cpp).
KernelSet make_kernels_sse2();
KernelSet make_kernels_avx2();
KernelSet make_kernels_avx512();
KernelSet make_kernels_neon64();

namespace {

// The CPU's own word, via the compiler's runtime (it checks that the OS saves the wide
// registers too). xsimd 8.1's detector reads the AVX bit from the wrong CPUID leaf.
bool cpu_runs(const std::string& arch)
{
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    if (arch == "sse2") return true;
    if (arch == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (arch == "avx512")
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return false;
#else
    return arch == "neon64";
#endif
}

std::vector<KernelSet> compiled_kernel_sets()
{
    std::vector<KernelSet> sets;
#if RTCONV_HAVE_KERNEL_SSE2
    if (cpu_runs("sse2")) sets.push_back(make_kernels_sse2());
#endif
#if RTCONV_HAVE_KERNEL_AVX2
    if (cpu_runs("avx2")) sets.push_back(make_kernels_avx2());
#endif
#if RTCONV_HAVE_KERNEL_AVX512
    if (cpu_runs("avx512")) sets.push_back(make_kernels_avx512());
#endif
#if RTCONV_HAVE_KERNEL_NEON64
    if (cpu_runs("neon64")) sets.push_back(make_kernels_neon64());
#endif
    return sets;
}

const std::vector<KernelSet>& available_sets()
{
    static const std::vector<KernelSet> sets = compiled_kernel_sets();
    return sets;
}

const KernelSet*& current()
{
    static const KernelSet* set = &available_sets().back();
    return set;
}

} // namespace

const KernelSet& kernels()
{
    return *current();
}

template <> const ConvKernels<float>& kernels_for<float>()
{
    return kernels().f32;
}

template <> const ConvKernels<double>& kernels_for<double>()
{
    return kernels().f64;
}

} // namespace rtconv::detail

namespace rtconv {

std::vector<std::string> available_kernel_archs()
{
    std::vector<std::string> names;
    for (const auto& set : detail::available_sets()) names.emplace_back(set.arch);
    return names;
}

std::string kernel_arch()
{
    return detail::kernels().arch;
}

void select_kernel_arch(const std::string& arch)
{
    for (const auto& set : detail::available_sets())
        if (arch == set.arch) {
            detail::current() = &set;
            return;
        }
    std::string known;
    for (const auto& name : available_kernel_archs()) known += (known.empty() ? "" : ", ") + name;
    throw Error("Unknown or unsupported kernel architecture '" + arch + "' (this CPU runs: " + known + ")");
}

} // namespace rtconv

namespace rtconv {

double measure_fma_peak(DType dtype, double seconds)
{
    using clock = std::chrono::steady_clock;
    const auto probe = dtype == DType::float32 ? detail::kernels().f32.fma_probe : detail::kernels().f64.fma_probe;
    probe(100000); // warm up: wake the core's wide units and clock
    double best = 0.0;
    const auto stop = clock::now() + std::chrono::duration<double>(seconds);
    do {
        const auto t0 = clock::now();
        const double macs = static_cast<double>(probe(1000000));
        const double dt = std::chrono::duration<double>(clock::now() - t0).count();
        best = std::max(best, macs / dt);
    } while (clock::now() < stop);
    return best;
}

} // namespace rtconv
