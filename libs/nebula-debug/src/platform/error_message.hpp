// The one way the tracker speaks from inside the allocator: a line built in a stack buffer and
// written to standard error with one system call. Nothing here allocates or takes a lock, so it
// serves when the heap may be corrupt (a bad free), before main (a bad environment variable) and
// inside free() (a mismatched free). Cancellation is off while it writes: write() is a
// cancellation point, and a report made inside a noexcept allocation function must not unwind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/platform.hpp"
#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::platform {

class ErrorMessage {
public:
    // Every message starts with the tracker's name, so that a reader of a mixed log knows whose
    // it is.
    ErrorMessage() noexcept { text("nebula-debug: "); }

    ErrorMessage& text(std::string_view part) noexcept {
        for (const char c : part) {
            put(c);
        }
        return *this;
    }

    // An address as 0x… on every platform (MinGW's %p prints no 0x).
    ErrorMessage& address(const void* pointer) noexcept {
        return text("0x").hex(reinterpret_cast<std::uintptr_t>(pointer));
    }

    ErrorMessage& hex(std::uint64_t value) noexcept {
        char digits[16];
        int count = 0;
        do {
            digits[count++] = "0123456789abcdef"[value & 0xF];
            value >>= 4;
        } while (value != 0);
        while (count > 0) {
            put(digits[--count]);
        }
        return *this;
    }

    ErrorMessage& number(std::uint64_t value) noexcept {
        char digits[20];
        int count = 0;
        do {
            digits[count++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (count > 0) {
            put(digits[--count]);
        }
        return *this;
    }

    // Ends the line and writes it. A message too long for the buffer is cut, never overrun.
    void write() noexcept {
        if (length_ == sizeof(buffer_)) {
            --length_;
        }
        buffer_[length_++] = '\n';
        const CancellationOff no_cancellation;
        write_error(buffer_, length_);
        length_ = 0;
        text("nebula-debug: ");
    }

private:
    void put(char c) noexcept {
        if (length_ < sizeof(buffer_)) {
            buffer_[length_++] = c;
        }
    }

    char buffer_[640];
    std::size_t length_ = 0;
};

}  // namespace nebula::debug::platform

NEBULA_INTERNAL_END
