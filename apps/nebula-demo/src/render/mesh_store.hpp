// The Meshes subsystem: a vertex and index buffer per chunk, built a few per frame nearest the
// camera first, uploaded to OpenGL when a window is attached, and dropped when the chunk unloads.
// Keeps running totals, so its report costs the same however many meshes there are.
#pragma once

#include "render/mesher.hpp"
#include "world/chunk.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nebula::demo {

// Where meshes go on the GPU (the windowed renderer); headless runs have none.
class MeshUploader {
public:
    virtual ~MeshUploader() = default;
    virtual void upload(ChunkCoord coord, const ChunkMesh& mesh) = 0;
    virtual void release(ChunkCoord coord) = 0;
};

class MeshStore {
public:
    static constexpr std::string_view kName = "Meshes";

    MeshStore();
    ~MeshStore();
    MeshStore(const MeshStore&) = delete;
    MeshStore& operator=(const MeshStore&) = delete;

    void chunk_loaded(ChunkCoord coord);
    // Drops the chunk's mesh, or with leak_unloaded_meshes set, loses track of it: the buffers
    // stay allocated under the Meshes tag but no longer count in the report.
    void chunk_unloading(ChunkCoord coord);

    // Meshes up to `max_builds` waiting chunks, nearest to `camera` (in chunk units) first.
    void build_pending(std::size_t max_builds, double camera_x, double camera_z,
                       const std::function<const Chunk*(ChunkCoord)>& find_chunk,
                       const TerrainNoise& terrain);

    // The meshes' bytes, and again those of the meshes uploaded: their buffers on the GPU.
    void report(nebula::debug::MemoryBudget& budget) const;
    void attach(MeshUploader* uploader);
    void set_leak_unloaded_meshes(bool leak) { leak_unloaded_meshes_ = leak; }
    // What the store lost track of (tests compare it with the allocator's gap).
    std::size_t leaked_bytes() const noexcept { return leaked_bytes_; }

    const ChunkMesh* find(ChunkCoord coord) const;
    const std::unordered_map<ChunkCoord, ChunkMesh, ChunkCoordHash>& meshes() const {
        return meshes_;
    }
    std::size_t bytes() const noexcept { return bytes_; }

private:
    nebula::debug::MemoryTag tag_;
    std::unordered_map<ChunkCoord, ChunkMesh, ChunkCoordHash> meshes_;
    std::vector<ChunkCoord> pending_;
    // The deliberate leak: buffers nothing reports. Kept reachable (and freed at exit) so the
    // sanitizers' leak checker still guards the rest of the demo.
    std::vector<ChunkMesh> lost_meshes_;
    std::size_t bytes_ = 0;
    // Of the meshes' bytes, what the uploader holds on the GPU as well (reported besides bytes_).
    std::size_t uploaded_bytes_ = 0;
    std::size_t leaked_bytes_ = 0;
    bool leak_unloaded_meshes_ = false;
    MeshUploader* uploader_ = nullptr;
};

}  // namespace nebula::demo
