#pragma once
// One stride-1 convolution run block by block: the causal form of Conv1D (`same` and `valid`
// are the same arithmetic, shifted by a latency the model accounts for). Its whole state is
// the ring-buffer history of (kernel_size - 1) * dilation input frames per channel. Taps read
// a long history in place from the ring; a history no longer than the block is copied in
// front of the block first, so short dilations do not cut the block into slivers. A stream
// prepared for blocks too short for the time kernel keeps its history frame-major instead
// (FrameRing), where the frame kernel reads each tap's input channels as one run.
#include "conv_plan.hpp"
#include "frame_ring.hpp"
#include "ring_buffer.hpp"

#include <array>
#include <cstddef>
#include <vector>

namespace rtconv::detail {

template <class T> class ConvStream {
public:
    /// Allocates the history and scratch for blocks of up to max_frames: call outside the audio
    /// thread. `plan` must outlive the stream.
    void prepare(const ConvPlan& plan, std::size_t max_frames);
    /// Bytes prepare(plan, max_frames) allocates, in floating point: a host's sizes may overflow
    /// size_t, and prepare() must be refused before they are multiplied out.
    static double footprint(const ConvPlan& plan, double max_frames);
    void reset()
    {
        history_.reset();
        frame_history_.reset();
    }

    /// in: in_channels rows `ld_in` apart; out: filters rows `ld_out` apart; both with kTimeSlack
    /// spare columns. n <= max_frames. `epilogue` (rows lined up with out) is fused into the store.
    /// No allocation, no lock, no system call.
    void process(const T* in, std::size_t ld_in, T* out, std::size_t ld_out, std::size_t n,
                 const ConvEpilogue<T>& epilogue = {});

    std::size_t allocated_history() const { return history_.allocated() + frame_history_.allocated(); }

private:
    /// Splits [0, n) where any tap changes source (history -> block) or its history wraps.
    std::size_t segment_cuts(std::size_t n);
    /// The frame-major form of process().
    void process_frames(const T* in, std::size_t ld_in, T* out, std::size_t ld_out, std::size_t n,
                        const ConvEpilogue<T>& epilogue);
    /// Output frames [a, b) for every group; source(row, k, a) gives tap k's input (pointer, ld)
    /// for frame a of the group whose first input channel is `row`; consecutive frames' inputs
    /// are x_step apart (1 but in the frame-major history).
    template <class Source>
    void run_segment(std::size_t a, std::size_t b, T* out, std::size_t ld_out, const ConvEpilogue<T>& epilogue,
                     std::size_t x_step, Source&& source);
    /// What the frame kernel leaves to do on a gated conv's output frames [a, b): the activations of
    /// both halves, then the epilogue.
    void finish_frames(std::size_t a, std::size_t b, T* out, std::size_t ld_out, const ConvEpilogue<T>& epilogue) const;

    const ConvPlan* plan_ = nullptr;
    RingBuffer<T> history_;
    FrameRing<T> frame_history_; ///< instead of history_ when blocks are shorter than kFrameKernelMaxFrames
    Planar<T> staged_; ///< [history | block] per input channel, when the history is short
    std::vector<ConvTap<T>> taps_;
    std::vector<std::size_t> offsets_;  ///< tap k reads input frame t - offsets_[k]
    std::vector<std::size_t> starts_;   ///< ring position of tap k's first history frame this block
    std::vector<std::size_t> cuts_;
};

} // namespace rtconv::detail
