#pragma once
// The history of a streaming convolution: the last `frames` input frames of each channel,
// in a ring per channel. Reading never copies it: a consumer asks for the window of a tap
// and gets at most two contiguous pieces (before and after the wrap). Writing a block costs
// min(block, frames) frames per channel, split in at most two copies.
#include "conv_kernel.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace rtconv::detail {

template <class T> class RingBuffer {
public:
    /// Allocates: call outside the audio thread.
    void prepare(std::size_t channels, std::size_t frames)
    {
        channels_ = channels;
        frames_ = frames;
        // Rows back to back: a kernel reading a vector past a window's end reads the next row,
        // and only outputs past the window, which are discarded. The last row gets slack.
        ld_ = frames;
        data_.assign(channels * ld_ + kTimeSlack, T(0));
        oldest_ = 0;
    }

    void reset()
    {
        std::fill(data_.begin(), data_.end(), T(0));
        oldest_ = 0;
    }

    std::size_t frames() const { return frames_; }
    /// Values allocated: the history plus the last row's slack.
    std::size_t allocated() const { return data_.size(); }
    std::size_t ld() const { return ld_; }

    /// Ring position of the frame `age` frames before the next one to be written (1 <= age <= frames).
    std::size_t position_of_age(std::size_t age) const
    {
        const std::size_t p = oldest_ + frames_ - age;
        return p >= frames_ ? p - frames_ : p;
    }
    /// Frames readable contiguously from ring position `p` before the wrap.
    std::size_t run_from(std::size_t p) const { return frames_ - p; }
    const T* at(std::size_t channel, std::size_t p) const { return data_.data() + channel * ld_ + p; }

    /// The history of one channel, oldest frame first, into dst[0, frames()).
    void copy_oldest_first(std::size_t channel, T* dst) const
    {
        const T* row = data_.data() + channel * ld_;
        std::copy(row + oldest_, row + frames_, dst);
        std::copy(row, row + oldest_, dst + (frames_ - oldest_));
    }

    /// Appends n frames (rows `ld` apart); only the newest `frames()` are kept.
    void write(const T* block, std::size_t ld, std::size_t n)
    {
        if (frames_ == 0) return;
        const std::size_t keep = std::min(n, frames_);
        const std::size_t first = n - keep;
        const std::size_t before_wrap = std::min(keep, frames_ - oldest_);
        T* const data = data_.data();
        for (std::size_t c = 0; c < channels_; ++c) {
            const T* src = block + c * ld + first;
            T* row = data + c * ld_;
            // Plain loops: a block of one frame must not cost two library calls per channel.
            for (std::size_t i = 0; i < before_wrap; ++i) row[oldest_ + i] = src[i];
            for (std::size_t i = before_wrap; i < keep; ++i) row[i - before_wrap] = src[i];
        }
        oldest_ += keep;
        if (oldest_ >= frames_) oldest_ -= frames_;
    }

private:
    std::vector<T> data_;
    std::size_t channels_ = 0, frames_ = 0, ld_ = 0;
    std::size_t oldest_ = 0; ///< ring position of the oldest frame, where the next frame goes
};

} // namespace rtconv::detail
