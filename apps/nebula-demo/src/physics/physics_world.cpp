#include "physics/physics_world.hpp"

#include <btBulletCollisionCommon.h>
#include <btBulletDynamicsCommon.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

nd::MemoryTag g_physics_tag;

void* bullet_aligned_alloc(std::size_t size, int alignment) {
    return nd::tracked_aligned_malloc(size, static_cast<std::size_t>(alignment), g_physics_tag);
}
void* bullet_alloc(std::size_t size) {
    return nd::tracked_aligned_malloc(size, alignof(std::max_align_t), g_physics_tag);
}
void bullet_free(void* block) {
    nd::tracked_free(block);
}

constexpr float kCreatureRadius = 0.4f;

}  // namespace

void install_bullet_allocation_hooks() {
    static const bool installed = [] {
        g_physics_tag = nd::memory_tag(PhysicsWorld::kName);
        btAlignedAllocSetCustom(bullet_alloc, bullet_free);
        btAlignedAllocSetCustomAligned(bullet_aligned_alloc, bullet_free);
        return true;
    }();
    (void)installed;
}

struct PhysicsWorld::Bullet {
    btDefaultCollisionConfiguration configuration;
    btCollisionDispatcher dispatcher{&configuration};
    btDbvtBroadphase broadphase;
    btSequentialImpulseConstraintSolver solver;
    btDiscreteDynamicsWorld world{&dispatcher, &broadphase, &solver, &configuration};
    btSphereShape creature_shape{kCreatureRadius};
};

struct PhysicsWorld::ChunkCollider {
    btTriangleMesh triangles{true, false};
    std::unique_ptr<btBvhTriangleMeshShape> shape;
    std::unique_ptr<btRigidBody> ground;
    std::vector<std::unique_ptr<btRigidBody>> creatures;
};

PhysicsWorld::PhysicsWorld(double collider_radius, std::size_t colliders_per_frame)
    : tag_(nd::memory_tag(kName)),
      collider_radius_(collider_radius),
      colliders_per_frame_(colliders_per_frame) {
    install_bullet_allocation_hooks();
    nd::MemoryScope scope(tag_);
    bullet_ = std::make_unique<Bullet>();
    bullet_->world.setGravity(btVector3(0.0f, -9.81f, 0.0f));
}

PhysicsWorld::~PhysicsWorld() {
    nd::MemoryScope scope(tag_);
    while (!colliders_.empty()) {
        remove_collider(colliders_.begin()->first);
    }
    bullet_.reset();
}

void PhysicsWorld::update(double camera_x, double camera_z, const MeshStore& meshes,
                          const EntityTables& entities, double seconds) {
    nd::MemoryScope scope(tag_);
    const auto within = [&](ChunkCoord coord) {
        return std::hypot(coord.x + 0.5 - camera_x, coord.z + 0.5 - camera_z) <= collider_radius_;
    };
    std::vector<ChunkCoord> leaving;
    for (const auto& [coord, collider] : colliders_) {
        if (!within(coord)) {
            leaving.push_back(coord);
        }
    }
    for (const ChunkCoord coord : leaving) {
        remove_collider(coord);
    }
    std::size_t built = 0;
    for (const auto& [coord, mesh] : meshes.meshes()) {
        if (built == colliders_per_frame_) {
            break;
        }
        if (within(coord) && !colliders_.contains(coord)) {
            add_collider(coord, mesh, entities);
            ++built;
        }
    }
    bullet_->world.stepSimulation(static_cast<btScalar>(seconds), 0);
}

void PhysicsWorld::chunk_unloading(ChunkCoord coord) {
    if (colliders_.contains(coord)) {
        nd::MemoryScope scope(tag_);
        remove_collider(coord);
    }
}

void PhysicsWorld::add_collider(ChunkCoord coord, const ChunkMesh& mesh,
                                const EntityTables& entities) {
    auto collider = std::make_unique<ChunkCollider>();
    const auto corner = [&](std::uint32_t index) {
        const MeshVertex& vertex = mesh.vertices[index];
        return btVector3(vertex.x, vertex.y, vertex.z);
    };
    collider->triangles.preallocateVertices(static_cast<int>(mesh.indices.size()));
    for (std::size_t i = 0; i + 2 < mesh.indices.size(); i += 3) {
        collider->triangles.addTriangle(corner(mesh.indices[i]), corner(mesh.indices[i + 1]),
                                        corner(mesh.indices[i + 2]));
    }
    collider->shape = std::make_unique<btBvhTriangleMeshShape>(&collider->triangles, true);
    btTransform origin;
    origin.setIdentity();
    origin.setOrigin(btVector3(static_cast<btScalar>(coord.x * kChunkSize),
                               static_cast<btScalar>(coord.y * kChunkSize),
                               static_cast<btScalar>(coord.z * kChunkSize)));
    collider->ground = std::make_unique<btRigidBody>(0.0f, nullptr, collider->shape.get());
    collider->ground->setWorldTransform(origin);
    bullet_->world.addRigidBody(collider->ground.get());

    const CreatureTable& creatures = entities.creatures();
    btVector3 inertia(0.0f, 0.0f, 0.0f);
    bullet_->creature_shape.calculateLocalInertia(60.0f, inertia);
    for (std::size_t row = 0; row < creatures.size(); ++row) {
        if (!(creatures.chunk[row] == coord)) {
            continue;
        }
        const Position& position = creatures.position[row];
        btRigidBody::btRigidBodyConstructionInfo info(60.0f, nullptr, &bullet_->creature_shape,
                                                      inertia);
        info.m_startWorldTransform.setOrigin(
            btVector3(position.x, position.y + kCreatureRadius, position.z));
        auto body = std::make_unique<btRigidBody>(info);
        bullet_->world.addRigidBody(body.get());
        collider->creatures.push_back(std::move(body));
    }
    colliders_.emplace(coord, std::move(collider));
}

void PhysicsWorld::remove_collider(ChunkCoord coord) {
    const auto found = colliders_.find(coord);
    ChunkCollider& collider = *found->second;
    for (const auto& body : collider.creatures) {
        bullet_->world.removeRigidBody(body.get());
    }
    bullet_->world.removeRigidBody(collider.ground.get());
    colliders_.erase(found);
}

std::size_t PhysicsWorld::body_count() const {
    return static_cast<std::size_t>(bullet_->world.getNumCollisionObjects());
}

void PhysicsWorld::report(nd::MemoryBudget& budget) const {
    budget.report(kName, nd::allocator_stats(tag_).allocated_bytes, body_count());
}

}  // namespace nebula::demo
