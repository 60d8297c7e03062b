#pragma once
// Hands prepared objects from the threads that build them to the audio thread without locks,
// and the replaced ones back to a thread that may free them: the audio thread never allocates
// or frees. Three places, each pointer in exactly one:
//   pending  - built, offered, not yet picked up (written by offer(), taken by acquire())
//   current  - what the audio thread runs (the audio thread's alone)
//   retired  - let go by the audio thread, waiting for collect() on another thread
// The audio thread picks up an offer only when the retired place is empty, so it never has to
// free anything to make room.
#include <atomic>
#include <memory>

namespace rtconv_plugin {

template <class T> class ModelSlot {
public:
    ModelSlot() = default;
    ModelSlot(const ModelSlot&) = delete;
    ModelSlot& operator=(const ModelSlot&) = delete;
    ~ModelSlot()
    {
        delete pending_.load();
        delete retired_.load();
        delete current_;
    }

    /// Any thread but the audio thread: offers `next`, replacing (and freeing) an offer the audio
    /// thread has not picked up yet.
    void offer(std::unique_ptr<T> next)
    {
        collect();
        delete pending_.exchange(next.release(), std::memory_order_acq_rel);
    }

    /// The audio thread, at the start of each block: the object to run, after picking up an
    /// offer when there is one and the retired place is free. Null until the first offer.
    T* acquire() noexcept
    {
        if (retired_.load(std::memory_order_acquire) == nullptr)
            if (T* next = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
                retired_.store(current_, std::memory_order_release);
                current_ = next;
            }
        return current_;
    }

    /// Any thread but the audio thread: frees what the audio thread let go of.
    void collect() { delete retired_.exchange(nullptr, std::memory_order_acq_rel); }

private:
    std::atomic<T*> pending_{nullptr};
    std::atomic<T*> retired_{nullptr};
    T* current_ = nullptr;
};

} // namespace rtconv_plugin
