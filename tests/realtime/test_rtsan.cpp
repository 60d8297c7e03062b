// Real-time safety, part 2: ModelStream::process() under RealtimeSanitizer.
//
// The executable links LLVM's RTSan runtime by hand (see CMakeLists.txt). Inside
// __rtsan_realtime_enter() / __rtsan_realtime_exit() the runtime's interceptors report and end
// the process on any call to malloc/free, pthread locks, sleeps, file or socket I/O.
// The runtime (LLVM 19) finds no symbolizer, so its stack frames read `(binary+0xOFFSET)`;
// `addr2line -Cfpe rtconv_realtime_rtsan 0xOFFSET...` names them.
//
//   rtconv_realtime_rtsan                     every model, process() in the realtime scope
//   rtconv_realtime_rtsan --expect-violation  allocates in the scope: proves the sanitizer is live
#include "model_cases.hpp"


#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>

extern "C" void __rtsan_realtime_enter();
extern "C" void __rtsan_realtime_exit();

namespace {

constexpr std::size_t kBlocksPerModel = 2000;

template <class T> void run_case(const rtconv_realtime::ModelCase& c, unsigned seed)
{
    const std::string dtype = std::is_same_v<T, float> ? "float32" : "float64";
    const std::string label = dtype + " " + c.name;
    const rtconv::Sequential model = rtconv_realtime::build_model(c, dtype);
    rtconv_realtime::RandomBlockRunner<T> runner(model, c, seed);
    __rtsan_realtime_enter();
    for (std::size_t block = 0; block < kBlocksPerModel; ++block) runner.process_random_block();
    __rtsan_realtime_exit();
    std::printf("PASS %s: %zu blocks in the realtime scope\n", label.c_str(), kBlocksPerModel);
}

/// An allocation from libstdc++'s operator new, as a growing std::vector in process() would make.
int allocate_in_realtime_scope()
{
    __rtsan_realtime_enter();
    int* volatile object = new int(1); // volatile: the compiler may not elide the pair
    delete object;
    __rtsan_realtime_exit();
    std::printf("FAIL: RealtimeSanitizer let an allocation in the realtime scope pass unreported\n");
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--expect-violation") == 0) return allocate_in_realtime_scope();
    std::size_t runs = 0;
    unsigned seed = 1;
    for (const auto& c : rtconv_realtime::model_cases()) {
        run_case<float>(c, seed++);
        run_case<double>(c, seed++);
        runs += 2;
    }
    std::printf("realtime_rtsan: %zu models ran clean in the realtime scope\n", runs);
    return 0;
}
