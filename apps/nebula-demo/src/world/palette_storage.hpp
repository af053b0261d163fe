// Palette compression of a chunk's blocks: a palette of the distinct block types present plus one
// bit-packed palette index per block. The index width is the smallest power of two of bits that
// can address the palette (0 for a uniform chunk, then 1, 2, 4, 8, 16), so an index never
// straddles two words and widening repacks every index once.
#pragma once

#include "world/block.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nebula::demo {

class PaletteStorage {
public:
    // `size` blocks, all `fill`.
    explicit PaletteStorage(std::size_t size, Block fill = Block::Air);

    Block get(std::size_t index) const;
    void set(std::size_t index, Block block);

    std::size_t size() const noexcept { return size_; }
    unsigned bits_per_index() const noexcept { return bits_; }
    std::size_t palette_size() const noexcept { return palette_.size(); }
    // The seed's "palette memory" and "block data memory": what the two arrays hold.
    std::size_t palette_bytes() const noexcept { return palette_.capacity() * sizeof(Block); }
    std::size_t block_data_bytes() const noexcept {
        return words_.capacity() * sizeof(std::uint64_t);
    }
    // Drops the spare capacity growth left behind, once a chunk is fully written.
    void shrink_to_fit();

private:
    std::size_t palette_index_of(Block block);
    void widen(unsigned bits);
    std::uint64_t read_index(std::size_t index) const;
    void write_index(std::size_t index, std::uint64_t value);

    std::size_t size_;
    unsigned bits_ = 0;
    std::vector<Block> palette_;
    std::vector<std::uint64_t> words_;
};

}  // namespace nebula::demo
