#pragma once
// The history of a streaming convolution run in small blocks, frame-major: each frame's
// channels side by side. One tap of one output frame then reads one run of `channels` values,
// where the channel-major RingBuffer costs a cache line per channel, and at a block of one frame
// that is all the work there is. The block is written in first, so every tap reads from here.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace rtconv::detail {

template <class T> class FrameRing {
public:
    /// Room for `history` frames plus a block of up to max_block. Allocates: call outside the
    /// audio thread.
    void prepare(std::size_t channels, std::size_t history, std::size_t max_block)
    {
        channels_ = channels;
        capacity_ = history + max_block;
        data_.assign(capacity_ * channels, T(0));
        next_ = 0;
    }

    void reset()
    {
        std::fill(data_.begin(), data_.end(), T(0));
        next_ = 0;
    }

    std::size_t allocated() const { return data_.size(); }
    /// Distance between consecutive frames.
    std::size_t stride() const { return channels_; }

    /// Appends n <= max_block frames given as channel rows `ld` apart.
    void write(const T* block, std::size_t ld, std::size_t n)
    {
        for (std::size_t t = 0; t < n; ++t) {
            T* frame = data_.data() + next_ * channels_;
            for (std::size_t c = 0; c < channels_; ++c) frame[c] = block[c * ld + t];
            if (++next_ == capacity_) next_ = 0;
        }
    }

    /// Ring position of the frame `age` frames before the next to be written (1: the newest).
    std::size_t position_of_age(std::size_t age) const
    {
        return next_ >= age ? next_ - age : next_ + capacity_ - age;
    }
    /// Frames from position p to the wrap.
    std::size_t run_from(std::size_t p) const { return capacity_ - p; }
    const T* frame(std::size_t p) const { return data_.data() + p * channels_; }

private:
    std::vector<T> data_;
    std::size_t channels_ = 0, capacity_ = 0;
    std::size_t next_ = 0; ///< ring position of the next frame written
};

} // namespace rtconv::detail
