#pragma once
// Counting replacements of every global allocation function (operator new/delete in all their
// forms, and the C allocator), forwarding to glibc's own allocator. Calls are counted only on a
// thread that armed the counters, so a test can watch its audio thread while others allocate.
// Include from exactly one translation unit of a program: it defines the replacements. To see
// who allocated: break on rtconv_heap_call_while_armed in a debugger.
//
// Under a sanitizer (which tracks every block through its own C allocator, and whose runtime
// calls malloc before any thread of the program exists) the C allocator stays the sanitizer's:
// only operator new/delete are counted, forwarding to it.
#include "../sanitized.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <new>

#ifdef RTCONV_TEST_SANITIZED
#include <cstdlib>
#include <malloc.h>
#else
// glibc's allocator under its own names, which the replacements below forward to.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* pointer);
}
#endif

namespace {

enum class Entry {
    operator_new, operator_new_array, operator_delete, operator_delete_array,
    malloc, calloc, realloc, free, aligned_alloc, posix_memalign, memalign, count,
};
constexpr std::array<const char*, static_cast<std::size_t>(Entry::count)> kEntryNames = {
    "operator new", "operator new[]", "operator delete", "operator delete[]",
    "malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign", "memalign",
};
using EntryCounts = std::array<std::size_t, kEntryNames.size()>;

thread_local bool g_armed = false;
std::array<std::atomic<std::size_t>, kEntryNames.size()> g_calls{};

/// Starts counting this thread's heap calls from zero. One thread arms at a time.
void arm()
{
    for (auto& calls : g_calls) calls.store(0, std::memory_order_relaxed);
    g_armed = true;
}

/// Stops counting on this thread; the calls counted since arm().
EntryCounts disarm()
{
    g_armed = false;
    EntryCounts counts{};
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = g_calls[i].load(std::memory_order_relaxed);
    return counts;
}

std::size_t total(const EntryCounts& counts)
{
    std::size_t sum = 0;
    for (std::size_t c : counts) sum += c;
    return sum;
}

void print_counts(const EntryCounts& counts)
{
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i] != 0) std::printf("      %s: %zu calls\n", kEntryNames[i], counts[i]);
}

} // namespace

// Out of line and unmangled so a debugger can stop on it with the offending stack.
extern "C" [[gnu::noinline]] void rtconv_heap_call_while_armed(std::size_t entry)
{
    g_calls[entry].fetch_add(1, std::memory_order_relaxed);
}

namespace {

inline void note(Entry entry)
{
    if (g_armed) rtconv_heap_call_while_armed(static_cast<std::size_t>(entry));
}

void* throw_if_null(void* pointer)
{
    if (!pointer) throw std::bad_alloc();
    return pointer;
}

// What operator new/delete forward to.
#ifdef RTCONV_TEST_SANITIZED
void* allocate(std::size_t size) { return std::malloc(size); }
void* allocate_aligned(std::size_t alignment, std::size_t size) { return memalign(alignment, size); }
void release(void* pointer) { std::free(pointer); }
#else
void* allocate(std::size_t size) { return __libc_malloc(size); }
void* allocate_aligned(std::size_t alignment, std::size_t size) { return __libc_memalign(alignment, size); }
void release(void* pointer) { __libc_free(pointer); }
#endif

} // namespace

#ifndef RTCONV_TEST_SANITIZED
// --- the C allocator ---------------------------------------------------------------------------
extern "C" {

void* malloc(std::size_t size) noexcept
{
    note(Entry::malloc);
    return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept
{
    note(Entry::calloc);
    return __libc_calloc(count, size);
}

void* realloc(void* pointer, std::size_t size) noexcept
{
    note(Entry::realloc);
    return __libc_realloc(pointer, size);
}

void free(void* pointer) noexcept
{
    note(Entry::free);
    __libc_free(pointer);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept
{
    note(Entry::aligned_alloc);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept
{
    note(Entry::posix_memalign);
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* pointer = __libc_memalign(alignment, size);
    if (!pointer) return ENOMEM;
    *out = pointer;
    return 0;
}

void* memalign(std::size_t alignment, std::size_t size) noexcept
{
    note(Entry::memalign);
    return __libc_memalign(alignment, size);
}

} // extern "C"
#endif

// --- operator new / delete, every replaceable form -----------------------------------------------
void* operator new(std::size_t size)
{
    note(Entry::operator_new);
    return throw_if_null(allocate(size));
}
void* operator new[](std::size_t size)
{
    note(Entry::operator_new_array);
    return throw_if_null(allocate(size));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new);
    return allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new_array);
    return allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment)
{
    note(Entry::operator_new);
    return throw_if_null(allocate_aligned(static_cast<std::size_t>(alignment), size));
}
void* operator new[](std::size_t size, std::align_val_t alignment)
{
    note(Entry::operator_new_array);
    return throw_if_null(allocate_aligned(static_cast<std::size_t>(alignment), size));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new);
    return allocate_aligned(static_cast<std::size_t>(alignment), size);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new_array);
    return allocate_aligned(static_cast<std::size_t>(alignment), size);
}

void operator delete(void* pointer) noexcept
{
    note(Entry::operator_delete);
    release(pointer);
}
void operator delete[](void* pointer) noexcept
{
    note(Entry::operator_delete_array);
    release(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept
{
    note(Entry::operator_delete);
    release(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept
{
    note(Entry::operator_delete_array);
    release(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept
{
    note(Entry::operator_delete);
    release(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept
{
    note(Entry::operator_delete_array);
    release(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept
{
    note(Entry::operator_delete);
    release(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept
{
    note(Entry::operator_delete_array);
    release(pointer);
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete);
    release(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete_array);
    release(pointer);
}
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete);
    release(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete_array);
    release(pointer);
}
