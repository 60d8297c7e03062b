// Real-time safety, part 1: ModelStream::process() never touches the heap.
//
// This executable replaces every global allocation function (operator new/delete in all their
// forms, and the C allocator) with counting forwarders to glibc's own allocator. Counting is
// armed only around process() calls; any call while armed fails the model that made it.
// Plain main() rather than Catch, which allocates. To see who allocated:
//   gdb -ex 'break rtconv_heap_call_while_armed' -ex run --args rtconv_realtime_alloc
#include "model_cases.hpp"

#include "rtconv/cpu.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <type_traits>

// glibc's allocator under its own names, which the replacements below forward to.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* pointer);
}

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

std::atomic<bool> g_armed{false};
std::array<std::atomic<std::size_t>, kEntryNames.size()> g_calls{};

void arm()
{
    for (auto& calls : g_calls) calls.store(0, std::memory_order_relaxed);
    g_armed.store(true, std::memory_order_seq_cst);
}

EntryCounts disarm()
{
    g_armed.store(false, std::memory_order_seq_cst);
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
    if (g_armed.load(std::memory_order_relaxed)) rtconv_heap_call_while_armed(static_cast<std::size_t>(entry));
}

void* throw_if_null(void* pointer)
{
    if (!pointer) throw std::bad_alloc();
    return pointer;
}

} // namespace

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

// --- operator new / delete, every replaceable form -----------------------------------------------
void* operator new(std::size_t size)
{
    note(Entry::operator_new);
    return throw_if_null(__libc_malloc(size));
}
void* operator new[](std::size_t size)
{
    note(Entry::operator_new_array);
    return throw_if_null(__libc_malloc(size));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new);
    return __libc_malloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new_array);
    return __libc_malloc(size);
}
void* operator new(std::size_t size, std::align_val_t alignment)
{
    note(Entry::operator_new);
    return throw_if_null(__libc_memalign(static_cast<std::size_t>(alignment), size));
}
void* operator new[](std::size_t size, std::align_val_t alignment)
{
    note(Entry::operator_new_array);
    return throw_if_null(__libc_memalign(static_cast<std::size_t>(alignment), size));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new);
    return __libc_memalign(static_cast<std::size_t>(alignment), size);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept
{
    note(Entry::operator_new_array);
    return __libc_memalign(static_cast<std::size_t>(alignment), size);
}

void operator delete(void* pointer) noexcept
{
    note(Entry::operator_delete);
    __libc_free(pointer);
}
void operator delete[](void* pointer) noexcept
{
    note(Entry::operator_delete_array);
    __libc_free(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept
{
    note(Entry::operator_delete);
    __libc_free(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept
{
    note(Entry::operator_delete_array);
    __libc_free(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept
{
    note(Entry::operator_delete);
    __libc_free(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept
{
    note(Entry::operator_delete_array);
    __libc_free(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept
{
    note(Entry::operator_delete);
    __libc_free(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept
{
    note(Entry::operator_delete_array);
    __libc_free(pointer);
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete);
    __libc_free(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete_array);
    __libc_free(pointer);
}
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete);
    __libc_free(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept
{
    note(Entry::operator_delete_array);
    __libc_free(pointer);
}

namespace {

constexpr std::size_t kBlocksPerModel = 10000;

struct Tally {
    std::size_t passed = 0, failed = 0;
};

/// Without this the test could pass because the replacements were never linked in.
bool counters_see_allocations()
{
    arm();
    int* volatile object = new int(1); // volatile: the compiler may not elide the pair
    void* volatile block = std::malloc(16);
    std::free(block);
    delete object;
    const EntryCounts counts = disarm();
    auto seen = [&](Entry e) { return counts[static_cast<std::size_t>(e)]; };
    const bool ok = seen(Entry::operator_new) == 1 && seen(Entry::operator_delete) == 1 &&
                    seen(Entry::malloc) == 1 && seen(Entry::free) == 1 && total(counts) == 4;
    std::printf("%s self-check: one new, delete, malloc and free while armed counted as %zu calls\n",
                ok ? "PASS" : "FAIL", total(counts));
    if (!ok) print_counts(counts);
    return ok;
}

template <class T> void run_case(const rtconv_realtime::ModelCase& c, unsigned seed, Tally& tally)
{
    const std::string dtype = std::is_same_v<T, float> ? "float32" : "float64";
    const std::string label = dtype + " " + c.name + " (" + std::to_string(c.audio_channels) + " ch, max block " +
                              std::to_string(c.max_block) + ")";
    const rtconv::Sequential model = rtconv_realtime::build_model(c, dtype);
    rtconv_realtime::RandomBlockRunner<T> runner(model, c, seed);
    EntryCounts sum{};
    for (std::size_t block = 0; block < kBlocksPerModel; ++block) {
        // Halfway, a host-style reset (outside the armed window): streaming from cleared state too.
        if (block == kBlocksPerModel / 2) runner.stream().reset();
        arm();
        runner.process_random_block();
        const EntryCounts counts = disarm();
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += counts[i];
    }
    if (total(sum) == 0) {
        std::printf("PASS %s: %zu blocks, no heap call\n", label.c_str(), kBlocksPerModel);
        ++tally.passed;
    } else {
        std::printf("FAIL %s: %zu heap calls in %zu blocks\n", label.c_str(), total(sum), kBlocksPerModel);
        print_counts(sum);
        ++tally.failed;
    }
}

void run_all_cases(Tally& tally)
{
    unsigned seed = 1;
    for (const auto& c : rtconv_realtime::model_cases()) {
        run_case<float>(c, seed++, tally);
        run_case<double>(c, seed++, tally);
    }
}

} // namespace

int main()
{
    if (!counters_see_allocations()) return 1;
    Tally tally;
    // The first pass runs before anything asks which kernels exist, so a lazily built kernel
    // table met for the first time inside process() would be caught here.
    std::printf("-- kernels chosen at start-up\n");
    run_all_cases(tally);
    const std::string startup_arch = rtconv::kernel_arch();
    for (const std::string& arch : rtconv::available_kernel_archs()) {
        if (arch == startup_arch) continue;
        std::printf("-- kernels pinned to %s\n", arch.c_str());
        rtconv::select_kernel_arch(arch);
        run_all_cases(tally);
    }
    std::printf("realtime_no_allocation: %zu passed, %zu failed; kernels at start-up: %s\n", tally.passed,
                tally.failed, startup_arch.c_str());
    return tally.failed == 0 && tally.passed > 0 ? 0 : 1;
}
