#include "workload.hpp"

#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <unordered_map>
#include <utility>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
constexpr double kTwoPi = 2.0 * std::numbers::pi;

// --- Deterministic variety -----------------------------------------------------------------

std::uint64_t mix(std::uint64_t value) {
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

// A value in [low, high] that depends only on `seed`.
std::size_t pick(std::uint64_t seed, std::size_t low, std::size_t high) {
    return low + static_cast<std::size_t>(mix(seed) % (high - low + 1));
}

bool active(double seconds, double first, double period, double length) {
    return seconds >= first && std::fmod(seconds - first, period) < length;
}

// --- The world's clock: where the camera is, how far it streams, which events are on --------

struct Point {
    double x = 0.0;
    double z = 0.0;
};

double distance(Point a, Point b) {
    return std::hypot(a.x - b.x, a.z - b.z);
}

struct Frame {
    double seconds = 0.0;
    Point camera;
    std::optional<Point> previous_sector_camera;  // set while the old sector is still loaded
    double load_radius = 0.0;
    int biome = 0;
    bool horde = false;
    bool sound_burst = false;

    // Whether a chunk column is within `radius` of a camera that still wants its sector.
    bool wants(int x, int z, double radius) const {
        const Point column{static_cast<double>(x), static_cast<double>(z)};
        return distance(column, camera) <= radius ||
               (previous_sector_camera && distance(column, *previous_sector_camera) <= radius);
    }
};

// A sector transition teleports the camera to a far sector; the old sector stays loaded for a
// few seconds while the new one streams in: the seed's peak spike.
constexpr double kFirstSectorTransition = 12.0;
constexpr double kSectorPeriod = 30.0;
constexpr double kSectorTransitionLength = 3.0;
constexpr int kSectorStride = 4096;  // chunks between sector origins
constexpr double kCameraOrbitRadius = 30.0;
constexpr double kCameraAngularSpeed = 0.07;  // rad/s: about two chunks a second

int sector_at(double seconds) {
    if (seconds < kFirstSectorTransition) {
        return 0;
    }
    return 1 + static_cast<int>((seconds - kFirstSectorTransition) / kSectorPeriod);
}

Point camera_in_sector(int sector, double seconds) {
    const double angle = kCameraAngularSpeed * seconds;
    return {sector * static_cast<double>(kSectorStride) + kCameraOrbitRadius * std::cos(angle),
            kCameraOrbitRadius * std::sin(angle)};
}

Frame frame_at(double seconds) {
    Frame frame;
    frame.seconds = seconds;
    const int sector = sector_at(seconds);
    frame.camera = camera_in_sector(sector, seconds);
    if (sector > 0) {
        const double entered = kFirstSectorTransition + (sector - 1) * kSectorPeriod;
        if (seconds - entered < kSectorTransitionLength) {
            frame.previous_sector_camera = camera_in_sector(sector - 1, entered);
        }
    }
    // Streaming distance breathes, as it would with camera speed and altitude.
    frame.load_radius = 7.5 + 1.5 * std::sin(kTwoPi * seconds / 40.0);
    frame.biome = static_cast<int>(seconds / 12.0);
    frame.horde = active(seconds, 25.0, 37.0, 6.0);
    frame.sound_burst = active(seconds, 5.0, 7.0, 2.0);
    return frame;
}

// --- Chunk keys ----------------------------------------------------------------------------

struct ChunkKey {
    int x = 0;
    int z = 0;
    int layer = 0;  // 0 is deep rock, 1 to 3 the surface band
    friend bool operator==(const ChunkKey&, const ChunkKey&) = default;
    std::uint64_t seed() const {
        return mix((static_cast<std::uint64_t>(static_cast<std::uint32_t>(x)) << 32) ^
                   static_cast<std::uint32_t>(z) ^ (static_cast<std::uint64_t>(layer) << 60));
    }
};

struct ChunkKeyHash {
    std::size_t operator()(const ChunkKey& key) const { return key.seed(); }
};

template <class Value>
using ChunkMap = std::unordered_map<ChunkKey, Value, ChunkKeyHash>;

constexpr int kChunkLayers = 4;

// --- Chunks: palette-compressed voxel data around the camera --------------------------------

class Chunks {
public:
    static constexpr std::string_view kName = "Chunks";
    static constexpr std::size_t kBlocksPerChunk = 32 * 32 * 32;
    static constexpr std::size_t kLoadsPerFrame = 32;
    static constexpr std::size_t kUnloadsPerFrame = 96;

    struct Chunk {
        std::vector<std::uint32_t> palette;
        std::vector<std::uint8_t> blocks;  // kBlocksPerChunk indices of bits_per_block each
        std::size_t bytes() const { return palette.size() * sizeof(std::uint32_t) + blocks.size(); }
    };

    void update(const Frame& frame) {
        nd::MemoryScope scope(tag_);
        unload_unwanted(frame);
        load_nearest_missing(frame);
        rebuild_columns();
    }

    void report(nd::MemoryBudget& budget) const {
        std::size_t bytes = 0;
        for (const auto& [key, chunk] : chunks_) {
            bytes += chunk.bytes();
        }
        budget.report(kName, bytes, chunks_.size());
    }

    const ChunkMap<Chunk>& chunks() const { return chunks_; }
    const std::vector<ChunkColumn>& columns() const { return columns_; }
    std::vector<ChunkColumn>& columns() { return columns_; }

    void release() {
        chunks_ = {};
        columns_ = {};
        candidates_ = {};
    }

private:
    void unload_unwanted(const Frame& frame) {
        std::size_t unloaded = 0;
        for (auto chunk = chunks_.begin(); chunk != chunks_.end() && unloaded < kUnloadsPerFrame;) {
            if (frame.wants(chunk->first.x, chunk->first.z, frame.load_radius)) {
                ++chunk;
            } else {
                chunk = chunks_.erase(chunk);
                ++unloaded;
            }
        }
    }

    void load_nearest_missing(const Frame& frame) {
        candidates_.clear();
        const int reach = static_cast<int>(std::ceil(frame.load_radius));
        const int center_x = static_cast<int>(std::lround(frame.camera.x));
        const int center_z = static_cast<int>(std::lround(frame.camera.z));
        for (int z = center_z - reach; z <= center_z + reach; ++z) {
            for (int x = center_x - reach; x <= center_x + reach; ++x) {
                const double away =
                    distance({static_cast<double>(x), static_cast<double>(z)}, frame.camera);
                if (away > frame.load_radius) {
                    continue;
                }
                for (int layer = 0; layer < kChunkLayers; ++layer) {
                    if (!chunks_.contains({x, z, layer})) {
                        candidates_.emplace_back(away, ChunkKey{x, z, layer});
                    }
                }
            }
        }
        const std::size_t loads = std::min(kLoadsPerFrame, candidates_.size());
        std::partial_sort(
            candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(loads),
            candidates_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < loads; ++i) {
            chunks_.emplace(candidates_[i].second, generate(candidates_[i].second));
        }
    }

    // Deep rock has a handful of block types; the surface band has many more.
    static Chunk generate(const ChunkKey& key) {
        const std::size_t palette_size =
            key.layer == 0 ? pick(key.seed(), 4, 8) : pick(key.seed(), 32, 128);
        std::size_t bits_per_block = 1;
        while ((std::size_t{1} << bits_per_block) < palette_size) {
            ++bits_per_block;
        }
        Chunk chunk;
        chunk.palette.resize(palette_size);
        chunk.blocks.resize(kBlocksPerChunk * bits_per_block / 8);
        return chunk;
    }

    void rebuild_columns() {
        columns_.clear();
        for (const auto& [key, chunk] : chunks_) {
            if (key.layer == 0) {
                columns_.push_back({key.x, key.z});
            }
        }
    }

    nd::MemoryTag tag_ = nd::memory_tag(kName);
    ChunkMap<Chunk> chunks_;
    std::vector<ChunkColumn> columns_;
    std::vector<std::pair<double, ChunkKey>> candidates_;
};

// Shared by the subsystems that derive something per chunk (meshes, colliders): build what is
// missing a few per frame, drop what lost its chunk or went out of range.
template <class Item, class Build>
void follow_chunks(ChunkMap<Item>& items, const ChunkMap<Chunks::Chunk>& chunks, const Frame& frame,
                   double radius, int first_layer, int last_layer, std::size_t builds_per_frame,
                   Build build) {
    std::erase_if(items, [&](const auto& item) {
        const ChunkKey& key = item.first;
        return !chunks.contains(key) || !frame.wants(key.x, key.z, radius);
    });
    std::size_t built = 0;
    for (const auto& [key, chunk] : chunks) {
        if (built == builds_per_frame) {
            break;
        }
        if (key.layer < first_layer || key.layer > last_layer || items.contains(key) ||
            !frame.wants(key.x, key.z, radius)) {
            continue;
        }
        items.emplace(key, build(key));
        ++built;
    }
}

// --- Meshes: vertex and index buffers of surface chunks near the camera ---------------------

class Meshes {
public:
    static constexpr std::string_view kName = "Meshes";

    struct Vertex {
        float position[3];
        std::uint16_t normal_and_uv[4];
    };
    struct Mesh {
        std::vector<Vertex> vertices;
        std::vector<std::uint32_t> indices;
    };

    void update(const Frame& frame, const ChunkMap<Chunks::Chunk>& chunks) {
        nd::MemoryScope scope(tag_);
        follow_chunks(meshes_, chunks, frame, frame.load_radius - 1.0, 1, 3, 24, build);
    }

    void report(nd::MemoryBudget& budget) const {
        std::size_t bytes = 0;
        for (const auto& [key, mesh] : meshes_) {
            bytes +=
                mesh.vertices.size() * sizeof(Vertex) + mesh.indices.size() * sizeof(std::uint32_t);
        }
        budget.report(kName, bytes, meshes_.size());
    }

    bool has_mesh(int x, int z) const { return meshes_.contains({x, z, 2}); }
    void release() { meshes_ = {}; }

private:
    // The ground surface (layer 2) is the busiest; the layers below and above it are sparser.
    static Mesh build(const ChunkKey& key) {
        const std::uint64_t seed = key.seed() ^ 0x6d657368;
        const std::size_t vertices = key.layer == 2   ? pick(seed, 500, 2000)
                                     : key.layer == 1 ? pick(seed, 100, 600)
                                                      : pick(seed, 0, 800);
        Mesh mesh;
        mesh.vertices.resize(vertices);
        mesh.indices.resize(vertices * 3 / 2);
        return mesh;
    }

    nd::MemoryTag tag_ = nd::memory_tag(kName);
    ChunkMap<Mesh> meshes_;
};

// --- Physics: colliders of the ground near the camera, and the broadphase -------------------

class Physics {
public:
    static constexpr std::string_view kName = "Physics";

    struct Collider {
        std::vector<float> heights;               // 33 x 33 heightfield
        std::vector<std::uint32_t> triangles;     // triangle mesh for overhangs
        std::vector<std::array<float, 8>> nodes;  // BVH
        std::size_t bytes() const {
            return heights.size() * sizeof(float) + triangles.size() * sizeof(std::uint32_t) +
                   nodes.size() * sizeof(nodes[0]);
        }
    };

    void update(const Frame& frame, const ChunkMap<Chunks::Chunk>& chunks,
                std::size_t entity_count) {
        nd::MemoryScope scope(tag_);
        follow_chunks(colliders_, chunks, frame, std::max(frame.load_radius - 2.0, 2.0), 1, 2, 16,
                      build);
        // The broadphase keeps a pair slot per dynamic body.
        broadphase_pairs_.resize(entity_count * 3);
        if (broadphase_pairs_.capacity() > 2 * broadphase_pairs_.size() + 4096) {
            broadphase_pairs_.shrink_to_fit();
        }
    }

    void report(nd::MemoryBudget& budget) const {
        std::size_t bytes = broadphase_pairs_.size() * sizeof(std::uint64_t);
        for (const auto& [key, collider] : colliders_) {
            bytes += collider.bytes();
        }
        budget.report(kName, bytes, colliders_.size() + 1);
    }

    bool has_collider(int x, int z) const { return colliders_.contains({x, z, 2}); }
    void release() {
        colliders_ = {};
        broadphase_pairs_ = {};
    }

private:
    static Collider build(const ChunkKey& key) {
        const std::uint64_t seed = key.seed() ^ 0x70687973;
        Collider collider;
        collider.heights.resize(33 * 33);
        collider.triangles.resize(3 *
                                  (key.layer == 2 ? pick(seed, 600, 2400) : pick(seed, 0, 300)));
        collider.nodes.resize(pick(seed >> 8, 64, 256));
        return collider;
    }

    nd::MemoryTag tag_ = nd::memory_tag(kName);
    ChunkMap<Collider> colliders_;
    std::vector<std::uint64_t> broadphase_pairs_;
};

// --- Textures: atlas pages, biome materials, framebuffers -----------------------------------

class Textures {
public:
    static constexpr std::string_view kName = "Textures";

    struct Descriptor {
        std::size_t width = 0;
        std::size_t height = 0;
        std::size_t bytes_per_texel = 4;
        bool mipmapped = true;
        // width x height x bytes per texel over the mip chain, as the GL texture would hold it.
        std::size_t bytes() const {
            std::size_t total = 0;
            for (std::size_t w = width, h = height;;
                 w = std::max<std::size_t>(w / 2, 1), h = std::max<std::size_t>(h / 2, 1)) {
                total += w * h * bytes_per_texel;
                if (!mipmapped || (w == 1 && h == 1)) {
                    return total;
                }
            }
        }
    };
    struct Texture {
        Descriptor descriptor;
        std::vector<std::uint8_t> staging;  // the CPU copy a streaming texture keeps
    };

    void update(const Frame& frame) {
        nd::MemoryScope scope(tag_);
        framebuffers_.ensure(0, 2, {640, 360, 4, false});  // colour, depth + stencil
        const int sector = sector_at(frame.seconds);
        atlas_.ensure(sector, 4, {512, 512, 4, true});
        if (frame.previous_sector_camera) {
            previous_atlas_.ensure(sector - 1, 4, {512, 512, 4, true});
        } else {
            previous_atlas_.clear();
        }
        materials_.ensure(frame.biome, material_count(frame.biome), {256, 256, 4, true});
        // A new biome's materials stream in while the old ones are still in use for a while.
        const bool blending = frame.biome > 0 && std::fmod(frame.seconds, 12.0) < 4.0;
        if (blending) {
            previous_materials_.ensure(frame.biome - 1, material_count(frame.biome - 1),
                                       {256, 256, 4, true});
        } else {
            previous_materials_.clear();
        }
    }

    void report(nd::MemoryBudget& budget) const {
        std::size_t bytes = 0;
        std::size_t count = 0;
        for (const TextureSet* set :
             {&framebuffers_, &atlas_, &previous_atlas_, &materials_, &previous_materials_}) {
            for (const Texture& texture : set->textures) {
                bytes += texture.descriptor.bytes();
                ++count;
            }
        }
        budget.report(kName, bytes, count);
    }

    void release() {
        for (TextureSet* set :
             {&framebuffers_, &atlas_, &previous_atlas_, &materials_, &previous_materials_}) {
            set->textures = {};
        }
    }

private:
    // Textures loaded together for one sector or biome (`owner`), replaced when it changes.
    struct TextureSet {
        std::vector<Texture> textures;
        int owner = -1;

        void ensure(int new_owner, std::size_t count, const Descriptor& descriptor) {
            if (!textures.empty() && owner == new_owner) {
                return;
            }
            textures.clear();
            for (std::size_t i = 0; i < count; ++i) {
                textures.push_back({descriptor, std::vector<std::uint8_t>(descriptor.bytes())});
            }
            owner = new_owner;
        }
        void clear() { textures.clear(); }
    };

    static std::size_t material_count(int biome) {
        return pick(static_cast<std::uint64_t>(biome), 4, 8);
    }

    nd::MemoryTag tag_ = nd::memory_tag(kName);
    TextureSet framebuffers_;
    TextureSet atlas_;
    TextureSet previous_atlas_;
    TextureSet materials_;
    TextureSet previous_materials_;
};

// --- Entities: component tables sized by a population that breathes, with hordes ------------

class Entities {
public:
    static constexpr std::string_view kName = "Entities";

    struct Transform {
        float matrix[12];
    };
    struct Velocity {
        float linear[3];
        float angular;
    };
    struct Render {
        std::uint64_t mesh;
        std::uint64_t material;
        float bounds[4];
    };
    struct Brain {
        std::uint8_t blackboard[256];
    };

    void update(const Frame& frame) {
        nd::MemoryScope scope(tag_);
        const double breathing = 9000.0 + 5000.0 * std::sin(kTwoPi * frame.seconds / 50.0);
        count_ = static_cast<std::size_t>(breathing) + (frame.horde ? 9000 : 0);
        resize(transforms_);
        resize(velocities_);
        resize(renders_);
        resize(brains_);
    }

    void report(nd::MemoryBudget& budget) const {
        // The seed's estimate from archetype table sizes: rows x row size, not capacity.
        budget.report(
            kName, count_ * (sizeof(Transform) + sizeof(Velocity) + sizeof(Render) + sizeof(Brain)),
            count_);
    }

    std::size_t count() const { return count_; }
    void release() {
        transforms_ = {};
        velocities_ = {};
        renders_ = {};
        brains_ = {};
        count_ = 0;
    }

private:
    // Tables grow geometrically and give memory back only once they are mostly empty, like any
    // archetype storage: the capacity the allocator holds runs ahead of the rows reported.
    template <class Component>
    void resize(std::vector<Component>& table) {
        table.resize(count_);
        if (table.capacity() > 4 * table.size()) {
            table.shrink_to_fit();
        }
    }

    nd::MemoryTag tag_ = nd::memory_tag(kName);
    std::size_t count_ = 0;
    std::vector<Transform> transforms_;
    std::vector<Velocity> velocities_;
    std::vector<Render> renders_;
    std::vector<Brain> brains_;
};

// --- Audio: music streaming buffers, ambience loops, bursts of one-shot effects -------------

class Audio {
public:
    static constexpr std::string_view kName = "Audio";
    static constexpr std::size_t kStreamBufferBytes = 64 * kKiB;
    static constexpr std::size_t kMonoRate = 22050;
    static constexpr std::size_t kStereoRate = 44100;

    void update(const Frame& frame) {
        nd::MemoryScope scope(tag_);
        if (music_streams_.empty()) {
            music_streams_.assign(2, std::vector<std::int16_t>(kStreamBufferBytes / 2));
        }
        if (ambience_biome_ != frame.biome) {
            ambience_.clear();
            for (int loop = 0; loop < 3; ++loop) {
                ambience_.emplace_back(10 * kMonoRate);  // 10 s mono loops
            }
            ambience_biome_ = frame.biome;
        }
        if (frame.sound_burst && effects_.empty()) {
            const auto burst = static_cast<std::uint64_t>(frame.seconds / 7.0);
            for (std::uint64_t effect = 0; effect < 16; ++effect) {
                const std::size_t milliseconds = pick(burst * 16 + effect, 500, 1500);
                effects_.emplace_back(kStereoRate * 2 * milliseconds / 1000);
            }
        } else if (!frame.sound_burst) {
            effects_.clear();
        }
    }

    void report(nd::MemoryBudget& budget) const {
        std::size_t bytes = 0;
        std::size_t count = 0;
        for (const auto* buffers : {&music_streams_, &ambience_, &effects_}) {
            for (const std::vector<std::int16_t>& samples : *buffers) {
                bytes += samples.size() * sizeof(std::int16_t);
                ++count;
            }
        }
        budget.report(kName, bytes, count);
    }

    void release() {
        music_streams_ = {};
        ambience_ = {};
        effects_ = {};
    }

private:
    nd::MemoryTag tag_ = nd::memory_tag(kName);
    std::vector<std::vector<std::int16_t>> music_streams_;
    std::vector<std::vector<std::int16_t>> ambience_;
    std::vector<std::vector<std::int16_t>> effects_;
    int ambience_biome_ = -1;
};

}  // namespace

struct Workload::Subsystems {
    Frame frame;
    Chunks chunks;
    Meshes meshes;
    Textures textures;
    Entities entities;
    Audio audio;
    Physics physics;
};

void Workload::configure_budgets(nebula::debug::MemoryBudget& budget) {
    budget.set_total_budget(128 * kMiB);
    budget.set_budget(Chunks::kName, 32 * kMiB);
    budget.set_budget(Meshes::kName, 16 * kMiB);
    budget.set_budget(Textures::kName, 16 * kMiB);
    budget.set_budget(Entities::kName, 8 * kMiB);
    budget.set_budget(Audio::kName, 4 * kMiB);
    budget.set_budget(Physics::kName, 8 * kMiB);
}

Workload::Workload() : subsystems_(std::make_unique<Subsystems>()) {}

Workload::~Workload() {
    release();
}

void Workload::update(double seconds) {
    Subsystems& s = *subsystems_;
    s.frame = frame_at(seconds);
    s.chunks.update(s.frame);
    s.meshes.update(s.frame, s.chunks.chunks());
    s.textures.update(s.frame);
    s.entities.update(s.frame);
    s.audio.update(s.frame);
    s.physics.update(s.frame, s.chunks.chunks(), s.entities.count());
    for (ChunkColumn& column : s.chunks.columns()) {
        column.meshed = s.meshes.has_mesh(column.x, column.z);
        column.collider = s.physics.has_collider(column.x, column.z);
    }
}

void Workload::report(nebula::debug::MemoryBudget& budget) const {
    const Subsystems& s = *subsystems_;
    s.chunks.report(budget);
    s.meshes.report(budget);
    s.textures.report(budget);
    s.entities.report(budget);
    s.audio.report(budget);
    s.physics.report(budget);
}

void Workload::release() {
    Subsystems& s = *subsystems_;
    s.physics.release();
    s.meshes.release();
    s.chunks.release();
    s.textures.release();
    s.entities.release();
    s.audio.release();
}

WorkloadView Workload::view() const {
    const Frame& frame = subsystems_->frame;
    return {
        .camera_x = frame.camera.x,
        .camera_z = frame.camera.z,
        .load_radius = frame.load_radius,
        .sector_transition = frame.previous_sector_camera.has_value(),
        .horde = frame.horde,
        .sound_burst = frame.sound_burst,
    };
}

const std::vector<ChunkColumn>& Workload::loaded_columns() const {
    return subsystems_->chunks.columns();
}

}  // namespace nebula::demo
