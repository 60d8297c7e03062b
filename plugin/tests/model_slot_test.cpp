// ModelSlot under contention: a loader thread offers objects as fast as it can while an audio
// thread picks them up, runs them, crossfades and lets them go, and a third thread collects.
// Checks that the audio thread only ever runs whole objects it was handed, in the order they
// were offered (skipping none it ran), and that every object is freed exactly once. Meant for
// ThreadSanitizer as much as for the checks: the test command also runs it in its TSan build.
// Prints "model slot test: ok".
#include "model_slot.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

namespace {

constexpr int offers = 20000;

std::atomic<int> alive{0};
std::atomic<int> freed{0};

/// A stand-in for a model engine: a payload the audio thread reads, and a destructor that counts.
struct Engine {
    explicit Engine(int serial) : serial(serial), check(serial * 7 + 3) { alive.fetch_add(1); }
    ~Engine()
    {
        freed.fetch_add(1);
        alive.fetch_sub(1);
    }
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    int serial;
    int check; ///< written by the loader thread before the offer; a torn hand-over would show here
};

} // namespace

int main()
{
    int failures = 0;
    {
        rtconv_plugin::ModelSlot<Engine> slot;
        std::atomic<bool> loading{true};
        std::atomic<bool> playing{true};
        std::thread loader([&] {
            for (int serial = 1; serial <= offers; ++serial) {
                slot.offer(std::make_unique<Engine>(serial));
                // Bursts with pauses: some offers replace waiting ones, some are picked up.
                if (serial % 10 == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
            }
            loading = false;
        });
        // Collects until the audio thread is done: the audio thread can let go of an object after
        // the last offer, and it picks up nothing more until that one is collected.
        std::thread collector([&] {
            while (playing) slot.collect();
        });

        int last_serial = 0, picked_up = 0, crossfade_blocks = 0;
        while (loading || slot.current() == nullptr || slot.current()->serial != offers || slot.outgoing()) {
            if (slot.pick_up()) crossfade_blocks = 3;
            const Engine* current = slot.current();
            if (current == nullptr) continue;
            if (current->check != current->serial * 7 + 3 || current->serial < last_serial) ++failures;
            if (current->serial != last_serial) ++picked_up;
            last_serial = current->serial;
            if (const Engine* outgoing = slot.outgoing()) {
                if (outgoing->check != outgoing->serial * 7 + 3 || outgoing->serial >= current->serial) ++failures;
                if (--crossfade_blocks == 0) slot.let_go_of_outgoing();
            }
        }
        playing = false;
        loader.join();
        collector.join();
        std::printf("  %d offers, %d picked up by the audio thread, %d torn or out of order\n", offers, picked_up, failures);
        if (picked_up < 100) ++failures; // the threads did meet
    }
    const bool all_freed = alive.load() == 0 && freed.load() == offers;
    std::printf("  %d of %d objects freed, %d still alive\n", freed.load(), offers, alive.load());
    if (failures == 0 && all_freed) {
        std::printf("model slot test: ok\n");
        return 0;
    }
    std::printf("model slot test: failed\n");
    return 1;
}
