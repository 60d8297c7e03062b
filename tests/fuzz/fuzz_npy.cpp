// libFuzzer target for the NumPy .npy reader: a Tensor or an rtconv::Error, nothing else.
#include <rtconv/error.hpp>
#include <rtconv/npy.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        const rtconv::Tensor tensor = rtconv::npy_from_bytes(bytes, "fuzz-input");
        // The writer sees every shape the reader lets through: it must read back as the same shape.
        if (rtconv::npy_from_bytes(rtconv::npy_to_bytes(tensor), "round-trip").shape() != tensor.shape())
            __builtin_trap();
    } catch (const rtconv::Error&) {
        // A refusal is the expected outcome for most inputs.
    }
    return 0;
}
