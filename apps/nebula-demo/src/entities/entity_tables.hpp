// The Entities subsystem: archetype-style component storage. Each archetype is a table with one
// column (a vector) per component; creatures and items are spawned on a chunk's surface when it
// loads and despawned (swap-removed) when it unloads. Reported from the tables' capacities: what
// the storage holds, not just what is in use.
#pragma once

#include "world/chunk.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nebula::demo {

struct Position {
    float x, y, z;  // world blocks, relative to the chunk's sector origin
};
struct Velocity {
    float x, y, z;
};
struct Health {
    float current, maximum;
};
struct Wander {
    float heading_radians;
    float speed;
    std::uint32_t seed;
};
enum class ItemKind : std::uint8_t { Stone, Flower, Bone, Crystal };

// Creature archetype: Position, Velocity, Health, Wander.
struct CreatureTable {
    std::vector<ChunkCoord> chunk;
    std::vector<Position> position;
    std::vector<Velocity> velocity;
    std::vector<Health> health;
    std::vector<Wander> wander;
    std::size_t size() const { return chunk.size(); }
    std::size_t capacity_bytes() const;
};

// Item archetype: Position, ItemKind.
struct ItemTable {
    std::vector<ChunkCoord> chunk;
    std::vector<Position> position;
    std::vector<ItemKind> kind;
    std::size_t size() const { return chunk.size(); }
    std::size_t capacity_bytes() const;
};

class EntityTables {
public:
    static constexpr std::string_view kName = "Entities";

    EntityTables();

    void spawn_for(const Chunk& chunk);
    void despawn_for(ChunkCoord coord);
    // Creatures wander on their chunk's surface.
    void update(float seconds_per_frame);
    // The churn scenario's bug: each creature's path query returns its waypoints in a vector of
    // its own, made and dropped every frame (what a churn budget is for).
    void set_queries_allocate(bool allocate) { queries_allocate_ = allocate; }
    void report(nebula::debug::MemoryBudget& budget) const;

    const CreatureTable& creatures() const { return creatures_; }
    const ItemTable& items() const { return items_; }
    std::size_t count() const { return creatures_.size() + items_.size(); }

private:
    nebula::debug::MemoryTag tag_;
    CreatureTable creatures_;
    ItemTable items_;
    bool queries_allocate_ = false;
};

}  // namespace nebula::demo
