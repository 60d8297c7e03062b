#pragma once
// Hands prepared objects from the threads that build them to the audio thread without locks,
// and the replaced ones back to a thread that may free them: the audio thread never allocates
// or frees. Each pointer is in exactly one place:
//   pending  - built, offered, not yet picked up (written by offer(), taken by pick_up())
//   current  - what the audio thread runs (the audio thread's alone)
//   outgoing - the object current replaced, still run while the audio thread crossfades away
//              from it (the audio thread's alone)
//   retired  - let go by the audio thread, waiting for collect() on another thread
// The audio thread picks up an offer only when nothing is outgoing and the retired place is
// empty, so it never has to free anything to make room.
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
        delete outgoing_;
        delete current_;
    }

    /// Any thread but the audio thread: offers `next`, replacing (and freeing) an offer the audio
    /// thread has not picked up yet.
    void offer(std::unique_ptr<T> next)
    {
        collect();
        delete pending_.exchange(next.release(), std::memory_order_acq_rel);
    }

    /// The audio thread, at the start of each block: makes a waiting offer current when it can.
    /// True when it did and there is an outgoing object to crossfade from.
    bool pick_up() noexcept
    {
        if (outgoing_ != nullptr || retired_.load(std::memory_order_acquire) != nullptr) return false;
        T* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
        if (next == nullptr) return false;
        outgoing_ = current_;
        current_ = next;
        return outgoing_ != nullptr;
    }

    /// The audio thread: what to run, null until the first offer; and what it replaced, null
    /// once let go.
    T* current() const noexcept { return current_; }
    T* outgoing() const noexcept { return outgoing_; }

    /// The audio thread: the outgoing object is no longer run; collect() frees it.
    void let_go_of_outgoing() noexcept
    {
        retired_.store(outgoing_, std::memory_order_release);
        outgoing_ = nullptr;
    }

    /// Only while the audio thread is stopped (prepareToPlay): makes a waiting offer current at
    /// once, with nothing outgoing, and frees what it replaces.
    void switch_now()
    {
        collect();
        delete outgoing_;
        outgoing_ = nullptr;
        if (T* next = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
            delete current_;
            current_ = next;
        }
    }

    /// Any thread but the audio thread: frees what the audio thread let go of.
    void collect() { delete retired_.exchange(nullptr, std::memory_order_acq_rel); }

private:
    std::atomic<T*> pending_{nullptr};
    std::atomic<T*> retired_{nullptr};
    T* current_ = nullptr;
    T* outgoing_ = nullptr;
};

} // namespace rtconv_plugin
