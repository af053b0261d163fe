#include "world/palette_storage.hpp"

#include <algorithm>

namespace nebula::demo {
namespace {

constexpr unsigned kWordBits = 64;

unsigned bits_for(std::size_t palette_size) {
    unsigned bits = 0;
    while ((std::size_t{1} << bits) < palette_size) {
        bits = bits == 0 ? 1 : bits * 2;
    }
    return bits;
}

std::size_t words_for(std::size_t size, unsigned bits) {
    return bits == 0 ? 0 : (size * bits + kWordBits - 1) / kWordBits;
}

}  // namespace

PaletteStorage::PaletteStorage(std::size_t size, Block fill) : size_(size), palette_{fill} {}

Block PaletteStorage::get(std::size_t index) const {
    return palette_[static_cast<std::size_t>(read_index(index))];
}

void PaletteStorage::set(std::size_t index, Block block) {
    write_index(index, palette_index_of(block));
}

void PaletteStorage::shrink_to_fit() {
    palette_.shrink_to_fit();
    words_.shrink_to_fit();
}

std::size_t PaletteStorage::palette_index_of(Block block) {
    const auto found = std::find(palette_.begin(), palette_.end(), block);
    if (found != palette_.end()) {
        return static_cast<std::size_t>(found - palette_.begin());
    }
    palette_.push_back(block);
    const unsigned needed = bits_for(palette_.size());
    if (needed != bits_) {
        widen(needed);
    }
    return palette_.size() - 1;
}

void PaletteStorage::widen(unsigned bits) {
    std::vector<std::uint64_t> old_words = std::move(words_);
    const unsigned old_bits = bits_;
    words_.assign(words_for(size_, bits), 0);
    bits_ = bits;
    if (old_bits == 0) {
        return;  // every block was palette entry 0
    }
    const std::uint64_t old_mask = (std::uint64_t{1} << old_bits) - 1;
    for (std::size_t i = 0; i < size_; ++i) {
        const std::size_t bit = i * old_bits;
        write_index(i, (old_words[bit / kWordBits] >> (bit % kWordBits)) & old_mask);
    }
}

std::uint64_t PaletteStorage::read_index(std::size_t index) const {
    if (bits_ == 0) {
        return 0;
    }
    const std::size_t bit = index * bits_;
    const std::uint64_t mask = (std::uint64_t{1} << bits_) - 1;
    return (words_[bit / kWordBits] >> (bit % kWordBits)) & mask;
}

void PaletteStorage::write_index(std::size_t index, std::uint64_t value) {
    if (bits_ == 0) {
        return;
    }
    const std::size_t bit = index * bits_;
    const std::uint64_t mask = (std::uint64_t{1} << bits_) - 1;
    std::uint64_t& word = words_[bit / kWordBits];
    word = (word & ~(mask << (bit % kWordBits))) | ((value & mask) << (bit % kWordBits));
}

}  // namespace nebula::demo
