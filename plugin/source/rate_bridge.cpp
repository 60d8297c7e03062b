#include "rate_bridge.hpp"

#include <rtconv/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace rtconv_plugin {

namespace {

/// Host frames fed one at a time to find the priming: a second covers many periods of the
/// pattern in which libsoxr's blocks fill and empty.
constexpr double measured_seconds = 1.0;

struct Shortfall {
    std::size_t largest = 0;          ///< host frames in minus host frames out, at its worst
    std::size_t largest_up_burst = 0; ///< most inner-rate frames one call of the way up returned
};

} // namespace

RateBridge::Resampler RateBridge::make_resampler(double from, double to, std::size_t channels)
{
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    // One thread: libsoxr must never start worker threads from the audio thread.
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
    soxr_error_t error = nullptr;
    Resampler resampler(soxr_create(from, to, static_cast<unsigned>(channels), &error, &io, &quality, &runtime),
                        &soxr_delete);
    if (error || !resampler) throw rtconv::Error(std::string("cannot resample: ") + (error ? error : "libsoxr failed"));
    return resampler;
}

RateBridge::RateBridge(double host_rate, double inner_rate, std::size_t channels, std::size_t max_block_size)
    : channels_(channels), up_(make_resampler(host_rate, inner_rate, channels)),
      down_(make_resampler(inner_rate, host_rate, channels))
{
    // The shortfall, measured on a mono pair of the same resamplers fed silence: frame counts do
    // not depend on the signal or the channel count.
    Shortfall shortfall;
    {
        const Resampler up = make_resampler(host_rate, inner_rate, 1), down = make_resampler(inner_rate, host_rate, 1);
        const std::size_t room = 1 << 16;
        std::vector<float> inner(room), host(room);
        const float silence = 0.f;
        const auto frames = static_cast<std::size_t>(host_rate * measured_seconds);
        std::size_t produced = 0;
        for (std::size_t fed = 1; fed <= frames; ++fed) {
            const float* in = &silence;
            float* inner_data = inner.data();
            std::size_t consumed = 0, inner_frames = 0, host_frames = 0;
            soxr_process(up.get(), &in, 1, &consumed, &inner_data, room, &inner_frames);
            const float* inner_in = inner.data();
            float* host_data = host.data();
            soxr_process(down.get(), &inner_in, inner_frames, &consumed, &host_data, room, &host_frames);
            produced += host_frames;
            shortfall.largest = std::max(shortfall.largest, fed - produced);
            shortfall.largest_up_burst = std::max(shortfall.largest_up_burst, inner_frames);
        }
    }
    latency_ = shortfall.largest;
    // Room for a whole block's worth of inner frames plus the largest burst libsoxr releases at
    // once, so that no call is cut short and the counts follow the measured ones.
    const double ratio = inner_rate / host_rate;
    inner_capacity_ = static_cast<std::size_t>(std::ceil(double(max_block_size) * ratio)) + shortfall.largest_up_burst + 2;
    const std::size_t queue_capacity = latency_ + 2 * max_block_size + inner_capacity_;
    inner_in_.assign(channels, std::vector<float>(inner_capacity_));
    inner_out_.assign(channels, std::vector<float>(inner_capacity_));
    queue_.assign(channels, std::vector<float>(queue_capacity));
    for (std::size_t ch = 0; ch < channels; ++ch) {
        inner_in_pointers_.push_back(inner_in_[ch].data());
        inner_out_pointers_.push_back(inner_out_[ch].data());
    }
    queue_tails_.resize(channels);
    queued_ = latency_; // the priming: silence
}

std::size_t RateBridge::to_inner_rate(const float* const* io, std::size_t n) noexcept
{
    std::size_t consumed = 0, frames = 0;
    soxr_process(up_.get(), io, n, &consumed, inner_in_pointers_.data(), inner_capacity_, &frames);
    return frames;
}

void RateBridge::from_inner_rate(std::size_t frames) noexcept
{
    for (std::size_t ch = 0; ch < channels_; ++ch) queue_tails_[ch] = queue_[ch].data() + queued_;
    std::size_t consumed = 0, produced = 0;
    soxr_process(down_.get(), inner_out_pointers_.data(), frames, &consumed, queue_tails_.data(),
                 queue_.front().size() - queued_, &produced);
    queued_ += produced;
}

void RateBridge::deliver(float* const* io, std::size_t n) noexcept
{
    // Never short when the priming is right; silence rather than stale samples if it were.
    const std::size_t available = std::min(n, queued_);
    for (std::size_t ch = 0; ch < channels_; ++ch) {
        float* queue = queue_[ch].data();
        std::memcpy(io[ch], queue, available * sizeof(float));
        std::fill(io[ch] + available, io[ch] + n, 0.f);
        std::memmove(queue, queue + available, (queued_ - available) * sizeof(float));
    }
    queued_ -= available;
}

} // namespace rtconv_plugin
