#pragma once
// Runs a process at another sample rate inside a host-rate stream: the host's frames are
// resampled to the inner rate (libsoxr, high quality, linear phase), processed, resampled back,
// and handed out through a queue primed with a fixed number of silent frames. libsoxr works in
// blocks of its own, so the frames it returns per call vary; the priming is the largest shortfall
// any stream of input can meet, found at construction by feeding one frame at a time, because
// libsoxr's output after N input frames depends on N alone, not on how the N were split into
// calls. So every host block gets exactly as many frames back as it gave, whatever the block
// sizes, and the latency is that priming: the same for every block size.
#include <soxr.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace rtconv_plugin {

class RateBridge {
public:
    /// Allocates everything process() uses. Throws rtconv::Error when libsoxr refuses the rates.
    RateBridge(double host_rate, double inner_rate, std::size_t channels, std::size_t max_block_size);

    /// Host frames by which the output trails the input (the rates' filters are linear phase
    /// and aligned by libsoxr, so this is all of it).
    std::size_t latency() const { return latency_; }
    /// The most inner-rate frames one process() call hands to `inner`.
    std::size_t max_inner_frames() const { return inner_capacity_; }

    /// io[ch]: n <= max_block_size host frames, replaced in place by the processed signal.
    /// inner(const float* const* in, float* const* out, std::size_t frames) runs at the inner rate.
    template <class Inner> void process(float* const* io, std::size_t n, Inner&& inner) noexcept
    {
        const std::size_t frames = to_inner_rate(io, n);
        inner(inner_in_pointers_.data(), inner_out_pointers_.data(), frames);
        from_inner_rate(frames);
        deliver(io, n);
    }

private:
    using Resampler = std::unique_ptr<soxr, decltype(&soxr_delete)>;
    static Resampler make_resampler(double from, double to, std::size_t channels);

    std::size_t to_inner_rate(const float* const* io, std::size_t n) noexcept;
    void from_inner_rate(std::size_t frames) noexcept;
    void deliver(float* const* io, std::size_t n) noexcept;

    std::size_t channels_;
    std::size_t latency_ = 0;
    std::size_t inner_capacity_ = 0;
    Resampler up_;   ///< host rate -> inner rate
    Resampler down_; ///< inner rate -> host rate
    std::vector<std::vector<float>> inner_in_, inner_out_;
    std::vector<float*> inner_in_pointers_, inner_out_pointers_;
    /// Host-rate frames resampled back and not yet handed out, per channel.
    std::vector<std::vector<float>> queue_;
    std::vector<float*> queue_tails_;
    std::size_t queued_ = 0;
};

} // namespace rtconv_plugin
