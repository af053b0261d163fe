#include "entities/entity_tables.hpp"

#include <cmath>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

std::uint32_t hash(ChunkCoord coord, std::uint32_t salt) {
    std::uint32_t value = static_cast<std::uint32_t>(ChunkCoordHash{}(coord)) ^ salt;
    value ^= value >> 16;
    value *= 0x7feb352dU;
    value ^= value >> 15;
    value *= 0x846ca68bU;
    return value ^ (value >> 16);
}

template <class Column>
std::size_t column_bytes(const Column& column) {
    return column.capacity() * sizeof(typename Column::value_type);
}

// Swap-removes row `row` from every column, as archetype tables do to stay dense.
template <class... Columns>
void swap_remove(std::size_t row, Columns&... columns) {
    ((columns[row] = columns.back(), columns.pop_back()), ...);
}

// Tables give memory back once they are mostly empty, as an engine's would between sectors.
template <class... Columns>
void shrink_when_sparse(Columns&... columns) {
    ((columns.size() * 4 < columns.capacity() ? columns.shrink_to_fit() : void()), ...);
}

int creatures_for(Biome biome, std::uint32_t roll) {
    switch (biome) {
        case Biome::Desert:
            return static_cast<int>(roll % 2);
        case Biome::Tundra:
            return static_cast<int>(roll % 3);
        default:
            return 2 + static_cast<int>(roll % 5);
    }
}

}  // namespace

std::size_t CreatureTable::capacity_bytes() const {
    return column_bytes(chunk) + column_bytes(position) + column_bytes(velocity) +
           column_bytes(health) + column_bytes(wander);
}

std::size_t ItemTable::capacity_bytes() const {
    return column_bytes(chunk) + column_bytes(position) + column_bytes(kind);
}

EntityTables::EntityTables() : tag_(nd::memory_tag(kName)) {}

void EntityTables::spawn_for(const Chunk& chunk) {
    if (!chunk.holds_surface()) {
        return;
    }
    nd::MemoryScope scope(tag_);
    const ChunkCoord coord = chunk.coord();
    const int creatures = creatures_for(chunk.biome(), hash(coord, 1));
    const int items = 3 + static_cast<int>(hash(coord, 2) % 8);
    for (int i = 0; i < creatures + items; ++i) {
        const std::uint32_t roll = hash(coord, 100 + static_cast<std::uint32_t>(i));
        const int local_x = static_cast<int>(roll % kChunkSize);
        const int local_z = static_cast<int>((roll >> 8) % kChunkSize);
        const int surface = chunk.surface_y(local_x, local_z);
        if (surface < 0) {
            continue;
        }
        const Position position{static_cast<float>(coord.x * kChunkSize + local_x) + 0.5f,
                                static_cast<float>(surface + 1),
                                static_cast<float>(coord.z * kChunkSize + local_z) + 0.5f};
        if (i < creatures) {
            creatures_.chunk.push_back(coord);
            creatures_.position.push_back(position);
            creatures_.velocity.push_back({0.0f, 0.0f, 0.0f});
            creatures_.health.push_back({20.0f, 20.0f});
            creatures_.wander.push_back({static_cast<float>(roll % 628) / 100.0f,
                                         1.0f + static_cast<float>(roll % 3), roll});
        } else {
            items_.chunk.push_back(coord);
            items_.position.push_back(position);
            items_.kind.push_back(static_cast<ItemKind>(roll % 4));
        }
    }
}

void EntityTables::despawn_for(ChunkCoord coord) {
    for (std::size_t row = creatures_.size(); row-- > 0;) {
        if (creatures_.chunk[row] == coord) {
            swap_remove(row, creatures_.chunk, creatures_.position, creatures_.velocity,
                        creatures_.health, creatures_.wander);
        }
    }
    for (std::size_t row = items_.size(); row-- > 0;) {
        if (items_.chunk[row] == coord) {
            swap_remove(row, items_.chunk, items_.position, items_.kind);
        }
    }
    nd::MemoryScope scope(tag_);
    shrink_when_sparse(creatures_.chunk, creatures_.position, creatures_.velocity,
                       creatures_.health, creatures_.wander, items_.chunk, items_.position,
                       items_.kind);
}

void EntityTables::update(float seconds_per_frame) {
    nd::MemoryScope scope(tag_);
    for (std::size_t row = 0; row < creatures_.size(); ++row) {
        if (queries_allocate_) {
            // Turns a little toward the query's next waypoint.
            const Position& from = creatures_.position[row];
            const std::vector<Position> waypoints{from, {from.x + 1.0f, from.y, from.z + 1.0f}};
            const float toward = std::atan2(waypoints[1].z - from.z, waypoints[1].x - from.x);
            creatures_.wander[row].heading_radians +=
                0.05f * (toward - creatures_.wander[row].heading_radians);
        }
        Wander& wander = creatures_.wander[row];
        wander.seed = wander.seed * 1664525u + 1013904223u;
        wander.heading_radians += (static_cast<float>(wander.seed >> 24) / 255.0f - 0.5f) * 0.2f;
        Velocity& velocity = creatures_.velocity[row];
        velocity.x = std::cos(wander.heading_radians) * wander.speed;
        velocity.z = std::sin(wander.heading_radians) * wander.speed;
        Position& position = creatures_.position[row];
        position.x += velocity.x * seconds_per_frame;
        position.z += velocity.z * seconds_per_frame;
    }
}

void EntityTables::report(nd::MemoryBudget& budget) const {
    budget.report(kName, creatures_.capacity_bytes() + items_.capacity_bytes(), count());
}

}  // namespace nebula::demo
