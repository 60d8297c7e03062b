#pragma once
// Flushes denormals to zero for the lifetime of the guard and restores the caller's mode:
// a decaying tail must not cost more than sound. Reads and writes one control register, no call.
#if defined(__SSE2__) || defined(__x86_64__)
#include <immintrin.h>
#endif

namespace rtconv::detail {

class ScopedFlushDenormals {
public:
#if defined(__SSE2__) || defined(__x86_64__)
    ScopedFlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
    ~ScopedFlushDenormals() { _mm_setcsr(saved_); }

private:
    static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
    unsigned saved_;
#elif defined(__aarch64__)
    ScopedFlushDenormals()
    {
        asm volatile("mrs %0, fpcr" : "=r"(saved_));
        asm volatile("msr fpcr, %0" ::"r"(saved_ | kFlushToZero));
    }
    ~ScopedFlushDenormals() { asm volatile("msr fpcr, %0" ::"r"(saved_)); }

private:
    static constexpr unsigned long kFlushToZero = 1ul << 24;
    unsigned long saved_;
#endif
    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;
};

} // namespace rtconv::detail
