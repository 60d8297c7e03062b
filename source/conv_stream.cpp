#include "conv_stream.hpp"

#include <algorithm>
#include <utility>

namespace rtconv::detail {

// Below this many frames a segment runs on the frame kernel (see process()).
constexpr std::size_t kFrameKernelMaxFrames = 8;

template <class T> void ConvStream<T>::prepare(const ConvPlan& plan, std::size_t max_frames)
{
    plan_ = &plan;
    kernels(); // the first use detects the CPU and allocates: never let it be process()
    const ConvGeometry& g = plan.geometry;
    const std::size_t history = (g.kernel_size - 1) * g.dilation;
    // Blocks this short all run on the frame kernel, which reads a frame-major history best.
    const bool frame_major = history > 0 && max_frames < kFrameKernelMaxFrames;
    history_.prepare(g.in_channels, frame_major ? 0 : history);
    frame_history_.prepare(g.in_channels, frame_major ? history : 0, frame_major ? max_frames : 0);
    taps_.resize(g.kernel_size);
    offsets_.resize(g.kernel_size);
    starts_.resize(g.kernel_size);
    for (std::size_t k = 0; k < g.kernel_size; ++k) offsets_[k] = (g.kernel_size - 1 - k) * g.dilation;
    cuts_.resize(2 * g.kernel_size + 2);
    // Staging copies at most a block's worth of history, so it is only set up when that is
    // cheap next to the block's arithmetic (see process()).
    const std::size_t frames = history_.frames();
    if (frames > 0 && frames <= max_frames) staged_.resize(g.in_channels, frames + max_frames);
}

template <class T> double ConvStream<T>::footprint(const ConvPlan& plan, double max_frames)
{
    const ConvGeometry& g = plan.geometry;
    const double in = double(g.in_channels), k = double(g.kernel_size), history = (k - 1) * double(g.dilation);
    const bool frame_major = history > 0 && max_frames < double(kFrameKernelMaxFrames);
    const double ring = (in * (frame_major ? 0 : history) + kTimeSlack) * sizeof(T);
    const double frame_ring = frame_major ? (history + max_frames) * in * sizeof(T) : 0;
    const double staged = !frame_major && history > 0 && history <= max_frames ? Planar<T>::bytes(in, history + max_frames) : 0;
    const double taps = k * (sizeof(ConvTap<T>) + 2 * sizeof(std::size_t)) + (2 * k + 2) * sizeof(std::size_t);
    return ring + frame_ring + staged + taps;
}

template <class T> std::size_t ConvStream<T>::segment_cuts(std::size_t n)
{
    std::size_t count = 0;
    cuts_[count++] = 0;
    cuts_[count++] = n;
    for (std::size_t k = 0; k < offsets_.size(); ++k) {
        const std::size_t o = offsets_[k];
        if (o == 0) continue;
        starts_[k] = history_.position_of_age(o);
        if (o < n) cuts_[count++] = o;
        const std::size_t wrap = history_.run_from(starts_[k]);
        if (wrap < std::min(n, o)) cuts_[count++] = wrap;
    }
    std::sort(cuts_.begin(), cuts_.begin() + static_cast<std::ptrdiff_t>(count));
    return static_cast<std::size_t>(std::unique(cuts_.begin(), cuts_.begin() + static_cast<std::ptrdiff_t>(count)) -
                                    cuts_.begin());
}

template <class T>
void ConvStream<T>::finish_frames(std::size_t a, std::size_t b, T* out, std::size_t ld_out,
                                  const ConvEpilogue<T>& epilogue) const
{
    const std::size_t n = b - a;
    for (std::size_t r = 0; r < plan_->geometry.filters; ++r) {
        T* y = out + r * ld_out + a;
        if (plan_->gate_row > 0) {
            const Activation& activation = r < plan_->gate_row ? plan_->activation : plan_->gate_activation;
            activation.apply_last_axis(y, y, 1, n);
        }
        if (epilogue.add) {
            const T* add = epilogue.add + r * epilogue.ld_add + a;
            for (std::size_t t = 0; t < n; ++t) y[t] += add[t];
        }
        if (epilogue.sum) {
            T* sum = epilogue.sum + r * epilogue.ld_sum + a;
            for (std::size_t t = 0; t < n; ++t) sum[t] += y[t];
        }
    }
}

template <class T>
template <class Source>
void ConvStream<T>::run_segment(std::size_t a, std::size_t b, T* out, std::size_t ld_out,
                                const ConvEpilogue<T>& epilogue, std::size_t x_step, Source&& source)
{
    const ConvGeometry& g = plan_->geometry;
    const PackedWeights<T>& w = plan_->weights<T>();
    const std::size_t cin = g.in_per_group(), cout = g.out_per_group();
    const bool gated = plan_->gate_row > 0;
    const Activation* activation = plan_->activation.is_elementwise() ? &plan_->activation : nullptr;
    // Segments narrower than a vector go to the frame kernel, SIMD across output channels:
    // block size 1, and slivers where a long history wraps.
    const bool narrow = b - a < kFrameKernelMaxFrames;
    for (std::size_t grp = 0; grp < g.groups; ++grp) {
        const std::size_t row = grp * cin;
        for (std::size_t k = 0; k < taps_.size(); ++k) {
            const auto [x, ldx] = source(row, k, a);
            taps_[k] = {x, ldx, narrow ? w.frame_tap(grp, k, g.kernel_size) : w.tap(grp, k, g.kernel_size)};
        }
        T* y = out + grp * cout * ld_out + a;
        if (narrow) {
            FrameKernelArgs<T> args{};
            args.y = y;
            args.ldy = 1;
            args.y_chan = ld_out;
            args.frames = b - a;
            args.cout = cout;
            args.w_stride = w.frame_stride;
            args.cin = cin;
            args.taps = taps_.data();
            args.num_taps = taps_.size();
            args.x_step = x_step;
            args.bias = w.frame_bias.empty() ? nullptr : w.frame_bias.data() + grp * w.frame_stride;
            args.activation = gated ? nullptr : activation;
            if (!gated) { // else finish_frames() applies both halves, then the epilogue
                args.epilogue = epilogue;
                if (epilogue.add) args.epilogue.add += grp * cout * epilogue.ld_add + a;
                if (epilogue.sum) args.epilogue.sum += grp * cout * epilogue.ld_sum + a;
            }
            kernels_for<T>().frames(args);
        } else {
            ConvKernelArgs<T> args{};
            args.y = y;
            args.ldy = ld_out;
            args.rows = cout;
            args.cols = b - a;
            args.cin = cin;
            args.taps = taps_.data();
            args.num_taps = taps_.size();
            args.bias = w.bias.empty() ? nullptr : w.bias.data() + grp * cout;
            args.activation = activation;
            if (gated) {
                args.gate_activation = &plan_->gate_activation;
                args.gate_row = plan_->gate_row;
            }
            args.epilogue = epilogue;
            if (epilogue.add) args.epilogue.add += grp * cout * epilogue.ld_add + a;
            if (epilogue.sum) args.epilogue.sum += grp * cout * epilogue.ld_sum + a;
            kernels_for<T>().conv(args);
        }
    }
    if (narrow && gated) finish_frames(a, b, out, ld_out, epilogue);
}

template <class T>
void ConvStream<T>::process_frames(const T* in, std::size_t ld_in, T* out, std::size_t ld_out, std::size_t n,
                                   const ConvEpilogue<T>& epilogue)
{
    frame_history_.write(in, ld_in, n);
    // Block frame t is n - t frames old now; tap k reads the frame offsets_[k] older still.
    for (std::size_t a = 0; a < n;) {
        std::size_t b = n;
        for (std::size_t k = 0; k < offsets_.size(); ++k) {
            starts_[k] = frame_history_.position_of_age(n - a + offsets_[k]);
            b = std::min(b, a + frame_history_.run_from(starts_[k]));
        }
        run_segment(a, b, out, ld_out, epilogue, frame_history_.stride(),
                    [&](std::size_t row, std::size_t k, std::size_t) {
                        return std::pair<const T*, std::size_t>{frame_history_.frame(starts_[k]) + row, 1};
                    });
        a = b;
    }
}

template <class T>
void ConvStream<T>::process(const T* in, std::size_t ld_in, T* out, std::size_t ld_out, std::size_t n,
                            const ConvEpilogue<T>& epilogue)
{
    if (n == 0) return;
    if (frame_history_.allocated() > 0) {
        process_frames(in, ld_in, out, ld_out, n, epilogue);
        return;
    }
    const std::size_t frames = history_.frames();
    if (frames > 0 && frames <= n) {
        // A history no longer than the block: stage it in front of a copy of the block, so every
        // tap reads one contiguous run and the block is one wide kernel call. The copy is at
        // most twice the block; a longer history is read in place from the ring below.
        for (std::size_t c = 0; c < plan_->geometry.in_channels; ++c) {
            history_.copy_oldest_first(c, staged_.row(c));
            std::copy_n(in + c * ld_in, n, staged_.row(c) + frames);
        }
        run_segment(0, n, out, ld_out, epilogue, 1, [&](std::size_t row, std::size_t k, std::size_t) {
            return std::pair<const T*, std::size_t>{staged_.row(row) + frames - offsets_[k], staged_.ld};
        });
    } else {
        const std::size_t cuts = segment_cuts(n);
        for (std::size_t s = 0; s + 1 < cuts; ++s)
            run_segment(cuts_[s], cuts_[s + 1], out, ld_out, epilogue, 1, [&](std::size_t row, std::size_t k, std::size_t a) {
                const std::size_t o = offsets_[k];
                if (a >= o) return std::pair<const T*, std::size_t>{in + row * ld_in + (a - o), ld_in};
                std::size_t p = starts_[k] + a;
                if (p >= frames) p -= frames;
                return std::pair<const T*, std::size_t>{history_.at(row, p), history_.ld()};
            });
    }
    history_.write(in, ld_in, n);
}

template class ConvStream<float>;
template class ConvStream<double>;

} // namespace rtconv::detail
