// The Physics subsystem: a Bullet dynamics world with a static triangle-mesh collider for each
// chunk mesh near the camera and a dynamic body for each creature on those chunks. Bullet's
// allocation hooks route everything it allocates to the Physics tag, so the report is what the
// allocator holds under that tag (Bullet offers no memory_usage() of its own).
//
// Bullet is used from one thread only.
#pragma once

#include "entities/entity_tables.hpp"
#include "render/mesh_store.hpp"
#include "world/chunk.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace nebula::demo {

// Routes Bullet's btAlignedAlloc (and with it every Bullet object and array) to the Physics
// tag. Idempotent; must run before Bullet allocates anything, and the hooks stay for the life
// of the process (blocks made through them must be freed through them).
void install_bullet_allocation_hooks();

class PhysicsWorld {
public:
    static constexpr std::string_view kName = "Physics";

    PhysicsWorld(double collider_radius, std::size_t colliders_per_frame);
    ~PhysicsWorld();
    PhysicsWorld(const PhysicsWorld&) = delete;
    PhysicsWorld& operator=(const PhysicsWorld&) = delete;

    // Builds colliders for meshed chunks within the collider radius of the camera (chunk units),
    // drops those outside it, then steps the simulation by `seconds`.
    void update(double camera_x, double camera_z, const MeshStore& meshes,
                const EntityTables& entities, double seconds);
    void chunk_unloading(ChunkCoord coord);
    void report(nebula::debug::MemoryBudget& budget) const;

    std::size_t collider_count() const { return colliders_.size(); }
    std::size_t body_count() const;

private:
    struct ChunkCollider;
    struct Bullet;
    void add_collider(ChunkCoord coord, const ChunkMesh& mesh, const EntityTables& entities);
    void remove_collider(ChunkCoord coord);

    nebula::debug::MemoryTag tag_;
    double collider_radius_;
    std::size_t colliders_per_frame_;
    std::unique_ptr<Bullet> bullet_;
    std::unordered_map<ChunkCoord, std::unique_ptr<ChunkCollider>, ChunkCoordHash> colliders_;
};

}  // namespace nebula::demo
