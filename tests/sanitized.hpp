#pragma once
// Whether this test program runs under AddressSanitizer or ThreadSanitizer, which slow it down
// several times and replace the heap: time bounds stretch, and heap figures come from the
// sanitizer's allocator.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RTCONV_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RTCONV_TEST_SANITIZED 1
#endif
#endif

namespace rtconv_test {

#ifdef RTCONV_TEST_SANITIZED
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

/// A wall-time bound for something that takes well under `seconds` in an optimised build.
constexpr double time_bound(double seconds) { return sanitized ? 10 * seconds : seconds; }

} // namespace rtconv_test
