#include "render/mesh_store.hpp"

#include <algorithm>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

double squared_distance(ChunkCoord coord, double camera_x, double camera_z) {
    const double dx = coord.x + 0.5 - camera_x;
    const double dz = coord.z + 0.5 - camera_z;
    return dx * dx + dz * dz;
}

}  // namespace

MeshStore::MeshStore() : tag_(nd::memory_tag(kName)) {}

MeshStore::~MeshStore() {
    attach(nullptr);
}

void MeshStore::chunk_loaded(ChunkCoord coord) {
    nd::MemoryScope scope(tag_);
    pending_.push_back(coord);
}

void MeshStore::chunk_unloading(ChunkCoord coord) {
    std::erase(pending_, coord);
    const auto mesh = meshes_.find(coord);
    if (mesh == meshes_.end()) {
        return;
    }
    bytes_ -= mesh->second.bytes();
    if (uploader_ != nullptr) {
        uploader_->release(coord);
        uploaded_bytes_ -= mesh->second.bytes();
    }
    if (leak_unloaded_meshes_) {
        nd::MemoryScope scope(tag_);
        leaked_bytes_ += mesh->second.bytes();
        lost_meshes_.push_back(std::move(mesh->second));
    }
    meshes_.erase(mesh);
}

void MeshStore::build_pending(std::size_t max_builds, double camera_x, double camera_z,
                              const std::function<const Chunk*(ChunkCoord)>& find_chunk,
                              const TerrainNoise& terrain) {
    if (pending_.empty()) {
        return;
    }
    nd::MemoryScope scope(tag_);
    const std::size_t builds = std::min(max_builds, pending_.size());
    // Nearest last, so the ones built are popped off the end.
    std::partial_sort(pending_.rbegin(), pending_.rbegin() + static_cast<std::ptrdiff_t>(builds),
                      pending_.rend(), [&](ChunkCoord a, ChunkCoord b) {
                          return squared_distance(a, camera_x, camera_z) <
                                 squared_distance(b, camera_x, camera_z);
                      });
    for (std::size_t i = 0; i < builds; ++i) {
        const ChunkCoord coord = pending_.back();
        pending_.pop_back();
        const Chunk* chunk = find_chunk(coord);
        if (chunk == nullptr) {
            continue;
        }
        ChunkMesh mesh = build_chunk_mesh(PaddedBlocks(*chunk, terrain));
        if (mesh.empty()) {
            continue;  // buried or empty chunks have nothing to draw
        }
        bytes_ += mesh.bytes();
        const auto [entry, inserted] = meshes_.emplace(coord, std::move(mesh));
        if (uploader_ != nullptr) {
            uploader_->upload(coord, entry->second);
            uploaded_bytes_ += entry->second.bytes();
        }
    }
}

void MeshStore::report(nd::MemoryBudget& budget) const {
    budget.report(kName, bytes_ + uploaded_bytes_, meshes_.size());
}

void MeshStore::attach(MeshUploader* uploader) {
    if (uploader_ != nullptr) {
        for (const auto& [coord, mesh] : meshes_) {
            uploader_->release(coord);
        }
    }
    uploader_ = uploader;
    uploaded_bytes_ = 0;
    if (uploader_ != nullptr) {
        for (const auto& [coord, mesh] : meshes_) {
            uploaded_bytes_ += mesh.bytes();
            uploader_->upload(coord, mesh);
        }
    }
}

const ChunkMesh* MeshStore::find(ChunkCoord coord) const {
    const auto mesh = meshes_.find(coord);
    return mesh != meshes_.end() ? &mesh->second : nullptr;
}

}  // namespace nebula::demo
