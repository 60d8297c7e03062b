#pragma once
// Timing shared by the benchmarks: best-of-repeats and an FMA-peak probe around a measurement.
#include "rtconv/cpu.hpp"

#include <algorithm>
#include <chrono>

namespace rtconv_bench {

using clock_type = std::chrono::steady_clock;

/// Fastest of repeated runs of `fn` within `seconds`: the least disturbed by a shared machine.
template <class F> double best_seconds(F&& fn, double seconds)
{
    fn();
    double best = 1e30;
    const auto stop = clock_type::now() + std::chrono::duration<double>(seconds);
    do {
        const auto t0 = clock_type::now();
        fn();
        best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
    } while (clock_type::now() < stop);
    return best;
}

/// Runs `fn` between two peak measurements and returns the larger peak: a neighbour busy during
/// one of them lowers that one only, and quoting against the lower peak would flatter the result.
template <class F> double peak_around(F&& fn)
{
    const double before = rtconv::measure_fma_peak(rtconv::DType::float32);
    fn();
    return std::max(before, rtconv::measure_fma_peak(rtconv::DType::float32));
}

} // namespace rtconv_bench
