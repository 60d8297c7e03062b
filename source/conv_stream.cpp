#include "conv_stream.hpp"

#include <algorithm>

namespace rtconv::detail {

// Below this many frames a segment runs on the frame kernel (see process()).
constexpr std::size_t kFrameKernelMaxFrames = 8;

template <class T> void ConvStream<T>::prepare(const ConvPlan& plan)
{
    plan_ = &plan;
    kernels(); // the first use detects the CPU and allocates: never let it be process()
    const ConvGeometry& g = plan.geometry;
    history_.prepare(g.in_channels, (g.kernel_size - 1) * g.dilation);
    taps_.resize(g.kernel_size);
    offsets_.resize(g.kernel_size);
    starts_.resize(g.kernel_size);
    for (std::size_t k = 0; k < g.kernel_size; ++k) offsets_[k] = (g.kernel_size - 1 - k) * g.dilation;
    cuts_.resize(2 * g.kernel_size + 2);
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
void ConvStream<T>::process(const T* in, std::size_t ld_in, T* out, std::size_t ld_out, std::size_t n)
{
    if (n == 0) return;
    const ConvGeometry& g = plan_->geometry;
    const PackedWeights<T>& w = plan_->weights<T>();
    const std::size_t cin = g.in_per_group(), cout = g.out_per_group(), frames = history_.frames();

    const Activation* activation = plan_->activation.is_elementwise() ? &plan_->activation : nullptr;
    ConvKernelArgs<T> args{};
    args.cin = cin;
    args.rows = cout;
    args.ldy = ld_out;
    args.taps = taps_.data();
    args.num_taps = taps_.size();
    args.activation = activation;
    // Segments narrower than a vector go to the frame kernel, SIMD across output channels:
    // block size 1, and the slivers where a short dilation crosses from history to block.
    FrameKernelArgs<T> frame_args{};
    frame_args.ldy = 1;
    frame_args.y_chan = ld_out;
    frame_args.cout = cout;
    frame_args.w_stride = w.frame_stride;
    frame_args.cin = cin;
    frame_args.taps = taps_.data();
    frame_args.num_taps = taps_.size();
    frame_args.x_step = 1;
    frame_args.activation = activation;

    const std::size_t cuts = segment_cuts(n);
    for (std::size_t s = 0; s + 1 < cuts; ++s) {
        const std::size_t a = cuts_[s], b = cuts_[s + 1];
        const bool narrow = b - a < kFrameKernelMaxFrames;
        for (std::size_t grp = 0; grp < g.groups; ++grp) {
            const std::size_t row = grp * cin;
            for (std::size_t k = 0; k < taps_.size(); ++k) {
                const std::size_t o = offsets_[k];
                const T* weights = narrow ? w.frame_tap(grp, k, g.kernel_size) : w.tap(grp, k, g.kernel_size);
                if (a >= o) {
                    taps_[k] = {in + row * ld_in + (a - o), ld_in, weights};
                } else {
                    std::size_t p = starts_[k] + a;
                    if (p >= frames) p -= frames;
                    taps_[k] = {history_.at(row, p), history_.ld(), weights};
                }
            }
            T* y = out + grp * cout * ld_out + a;
            if (narrow) {
                frame_args.y = y;
                frame_args.frames = b - a;
                frame_args.bias = w.frame_bias.empty() ? nullptr : w.frame_bias.data() + grp * w.frame_stride;
                kernels_for<T>().frames(frame_args);
            } else {
                args.y = y;
                args.cols = b - a;
                args.bias = w.bias.empty() ? nullptr : w.bias.data() + grp * cout;
                kernels_for<T>().conv(args);
            }
        }
    }
    history_.write(in, ld_in, n);
}

template class ConvStream<float>;
template class ConvStream<double>;

} // namespace rtconv::detail
