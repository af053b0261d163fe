#include "render/world_renderer.hpp"

#define GL_GLEXT_PROTOTYPES
#include <GL/gl.h>
#include <GL/glext.h>

#include <fmt/format.h>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace nebula::demo {
namespace {

// What the GL driver allocates for the demo's uploads (Mesa keeps buffer and texture copies in
// ordinary memory, through malloc): a tag of its own, so that a subsystem's allocator column holds
// its own data and its Gap still means a leak.
nebula::debug::MemoryTag driver_tag() {
    static const nebula::debug::MemoryTag tag = nebula::debug::memory_tag("GL driver");
    return tag;
}

// A GL buffer's id for track_gpu_allocation. GL names of buffers and textures may be equal:
// the kind goes in the id's upper half.
std::uint64_t gpu_buffer_id(GLuint buffer) {
    return (std::uint64_t{1} << 32) | buffer;
}

using Matrix = std::array<float, 16>;  // column-major, as OpenGL takes it

Matrix multiply(const Matrix& a, const Matrix& b) {
    Matrix product{};
    for (int column = 0; column < 4; ++column) {
        for (int row = 0; row < 4; ++row) {
            float sum = 0.0f;
            for (int k = 0; k < 4; ++k) {
                sum += a[k * 4 + row] * b[column * 4 + k];
            }
            product[column * 4 + row] = sum;
        }
    }
    return product;
}

Matrix perspective(float vertical_fov_radians, float aspect, float near_plane, float far_plane) {
    const float f = 1.0f / std::tan(vertical_fov_radians / 2.0f);
    Matrix m{};
    m[0] = f / aspect;
    m[5] = f;
    m[10] = (far_plane + near_plane) / (near_plane - far_plane);
    m[11] = -1.0f;
    m[14] = 2.0f * far_plane * near_plane / (near_plane - far_plane);
    return m;
}

// A camera at the origin (the world is drawn relative to it) looking along `forward`.
Matrix look_along(float fx, float fy, float fz) {
    const float length = std::sqrt(fx * fx + fy * fy + fz * fz);
    fx /= length;
    fy /= length;
    fz /= length;
    // right = forward x up(0, 1, 0); up' = right x forward
    float rx = -fz;
    float rz = fx;
    const float right_length = std::sqrt(rx * rx + rz * rz);
    rx /= right_length;
    rz /= right_length;
    const float ux = -rz * fy;
    const float uy = rz * fx - rx * fz;
    const float uz = rx * fy;
    return {rx, ux, -fx, 0.0f, 0.0f, uy, -fy, 0.0f, rz, uz, -fz, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f};
}

constexpr const char* kVertexShader = R"(#version 330 core
layout(location = 0) in vec3 position;
layout(location = 1) in uvec4 face_tile_uv;
uniform mat4 view_projection;
uniform vec3 chunk_offset;
out vec2 atlas_uv;
out float light;
out float distance_to_camera;
const vec3 normals[6] = vec3[6](vec3(1, 0, 0), vec3(-1, 0, 0), vec3(0, 1, 0), vec3(0, -1, 0),
                                vec3(0, 0, 1), vec3(0, 0, -1));
void main() {
    vec3 world = position + chunk_offset;
    gl_Position = view_projection * vec4(world, 1.0);
    vec3 normal = normals[face_tile_uv.x];
    light = 0.45 + 0.55 * max(dot(normal, normalize(vec3(0.4, 1.0, 0.3))), 0.0);
    float tile = float(face_tile_uv.y);
    vec2 tile_origin = vec2(mod(tile, 4.0), floor(tile / 4.0)) * 0.25;
    atlas_uv = tile_origin + (vec2(face_tile_uv.zw) * 0.96 + 0.02) * 0.25;
    distance_to_camera = length(world);
}
)";

constexpr const char* kFragmentShader = R"(#version 330 core
in vec2 atlas_uv;
in float light;
in float distance_to_camera;
uniform sampler2D atlas;
uniform vec3 sky;
uniform float fog_end;
out vec4 color;
void main() {
    vec3 albedo = texture(atlas, atlas_uv).rgb;
    float fog = clamp((distance_to_camera - fog_end * 0.55) / (fog_end * 0.45), 0.0, 1.0);
    color = vec4(mix(albedo * light, sky, fog), 1.0);
}
)";

constexpr std::array<float, 3> kSky = {0.52f, 0.68f, 0.86f};

GLuint compile(GLenum stage, const char* source) {
    const GLuint shader = glCreateShader(stage);
    glShaderSource(shader, 1, &source, nullptr);
    glCompileShader(shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (ok != GL_TRUE) {
        std::string log(1024, '\0');
        glGetShaderInfoLog(shader, static_cast<GLsizei>(log.size()), nullptr, log.data());
        throw std::runtime_error("world shader: " + log);
    }
    return shader;
}

struct GpuMesh {
    GLuint vertex_array = 0;
    GLuint buffers[2] = {0, 0};  // vertices, indices
    GLsizei index_count = 0;
};

}  // namespace

struct WorldRenderer::Gpu {
    GLuint program = 0;
    GLint view_projection = -1;
    GLint chunk_offset = -1;
    GLint sky = -1;
    GLint fog_end = -1;
    std::unordered_map<ChunkCoord, GpuMesh, ChunkCoordHash> meshes;
    std::array<GLuint, kBiomeCount> pages{};
    GLuint framebuffer = 0;
    GLuint color_target = 0;
    GLuint depth_target = 0;
    int target_width = 0;
    int target_height = 0;
};

WorldRenderer::WorldRenderer(VoxelWorld& world) : world_(world), gpu_(std::make_unique<Gpu>()) {
    Gpu& gpu = *gpu_;
    const GLuint vertex = compile(GL_VERTEX_SHADER, kVertexShader);
    const GLuint fragment = compile(GL_FRAGMENT_SHADER, kFragmentShader);
    gpu.program = glCreateProgram();
    glAttachShader(gpu.program, vertex);
    glAttachShader(gpu.program, fragment);
    glLinkProgram(gpu.program);
    glDeleteShader(vertex);
    glDeleteShader(fragment);
    gpu.view_projection = glGetUniformLocation(gpu.program, "view_projection");
    gpu.chunk_offset = glGetUniformLocation(gpu.program, "chunk_offset");
    gpu.sky = glGetUniformLocation(gpu.program, "sky");
    gpu.fog_end = glGetUniformLocation(gpu.program, "fog_end");

    // The framebuffer textures, exactly as TextureSet describes (and reports) them.
    const TextureDescriptor& color = world.textures().color_target();
    const TextureDescriptor& depth = world.textures().depth_target();
    gpu.target_width = color.width;
    gpu.target_height = color.height;
    glGenTextures(1, &gpu.color_target);
    glBindTexture(GL_TEXTURE_2D, gpu.color_target);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, color.width, color.height, 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, nullptr);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glGenTextures(1, &gpu.depth_target);
    glBindTexture(GL_TEXTURE_2D, gpu.depth_target);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_DEPTH24_STENCIL8, depth.width, depth.height, 0,
                 GL_DEPTH_STENCIL, GL_UNSIGNED_INT_24_8, nullptr);
    glGenFramebuffers(1, &gpu.framebuffer);
    glBindFramebuffer(GL_FRAMEBUFFER, gpu.framebuffer);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, gpu.color_target,
                           0);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_DEPTH_STENCIL_ATTACHMENT, GL_TEXTURE_2D,
                           gpu.depth_target, 0);
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        throw std::runtime_error(fmt::format("world framebuffer incomplete ({:#x})", status));
    }
    world_.attach_renderer(this, this);
}

WorldRenderer::~WorldRenderer() {
    world_.attach_renderer(nullptr, nullptr);
    Gpu& gpu = *gpu_;
    glDeleteFramebuffers(1, &gpu.framebuffer);
    glDeleteTextures(1, &gpu.color_target);
    glDeleteTextures(1, &gpu.depth_target);
    glDeleteProgram(gpu.program);
}

void WorldRenderer::upload(ChunkCoord coord, const ChunkMesh& mesh) {
    const nebula::debug::MemoryScope scope(driver_tag());
    GpuMesh gpu_mesh;
    glGenVertexArrays(1, &gpu_mesh.vertex_array);
    glGenBuffers(2, gpu_mesh.buffers);
    glBindVertexArray(gpu_mesh.vertex_array);
    glBindBuffer(GL_ARRAY_BUFFER, gpu_mesh.buffers[0]);
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(mesh.vertex_buffer_bytes()),
                 mesh.vertices.data(), GL_STATIC_DRAW);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, gpu_mesh.buffers[1]);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, static_cast<GLsizeiptr>(mesh.index_buffer_bytes()),
                 mesh.indices.data(), GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, sizeof(MeshVertex), nullptr);
    glEnableVertexAttribArray(1);
    glVertexAttribIPointer(1, 4, GL_UNSIGNED_BYTE, sizeof(MeshVertex),
                           reinterpret_cast<const void*>(offsetof(MeshVertex, face)));
    glBindVertexArray(0);
    gpu_mesh.index_count = static_cast<GLsizei>(mesh.indices.size());
    gpu_->meshes[coord] = gpu_mesh;
    // The mesh's buffers on the device, charged to Meshes (the driver's own heap copies stay
    // under the driver's tag).
    const nebula::debug::MemoryTag meshes = nebula::debug::memory_tag(MeshStore::kName);
    nebula::debug::track_gpu_allocation(gpu_buffer_id(gpu_mesh.buffers[0]),
                                        mesh.vertex_buffer_bytes(), meshes);
    nebula::debug::track_gpu_allocation(gpu_buffer_id(gpu_mesh.buffers[1]),
                                        mesh.index_buffer_bytes(), meshes);
}

void WorldRenderer::release(ChunkCoord coord) {
    const auto mesh = gpu_->meshes.find(coord);
    if (mesh == gpu_->meshes.end()) {
        return;
    }
    nebula::debug::track_gpu_free(gpu_buffer_id(mesh->second.buffers[0]));
    nebula::debug::track_gpu_free(gpu_buffer_id(mesh->second.buffers[1]));
    glDeleteBuffers(2, mesh->second.buffers);
    glDeleteVertexArrays(1, &mesh->second.vertex_array);
    gpu_->meshes.erase(mesh);
}

void WorldRenderer::upload_page(Biome biome, const AtlasPage& page) {
    const nebula::debug::MemoryScope scope(driver_tag());
    GLuint& texture = gpu_->pages[static_cast<std::size_t>(biome)];
    glGenTextures(1, &texture);
    glBindTexture(GL_TEXTURE_2D, texture);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, page.descriptor.width, page.descriptor.height, 0,
                 GL_RGBA, GL_UNSIGNED_BYTE, page.rgba.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, page.descriptor.mip_levels - 1);
    glGenerateMipmap(GL_TEXTURE_2D);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST_MIPMAP_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
}

void WorldRenderer::release_page(Biome biome) {
    GLuint& texture = gpu_->pages[static_cast<std::size_t>(biome)];
    glDeleteTextures(1, &texture);
    texture = 0;
}

void WorldRenderer::draw(int window_width, int window_height) {
    Gpu& gpu = *gpu_;
    const CameraPose& camera = world_.camera();
    const double camera_x = camera.x * kChunkSize;
    const double camera_z = camera.z * kChunkSize;

    glBindFramebuffer(GL_FRAMEBUFFER, gpu.framebuffer);
    glViewport(0, 0, gpu.target_width, gpu.target_height);
    glClearColor(kSky[0], kSky[1], kSky[2], 1.0f);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    glEnable(GL_DEPTH_TEST);
    glEnable(GL_CULL_FACE);

    const float fog_end = static_cast<float>((world_.chunks().view_distance() + 0.5) * kChunkSize);
    const float aspect =
        static_cast<float>(gpu.target_width) / static_cast<float>(gpu.target_height);
    const Matrix view = look_along(static_cast<float>(std::cos(camera.heading_radians)), -0.32f,
                                   static_cast<float>(std::sin(camera.heading_radians)));
    const Matrix view_projection =
        multiply(perspective(1.05f, aspect, 0.5f, fog_end + 2.0f * kChunkSize), view);
    glUseProgram(gpu.program);
    glUniformMatrix4fv(gpu.view_projection, 1, GL_FALSE, view_projection.data());
    glUniform3f(gpu.sky, kSky[0], kSky[1], kSky[2]);
    glUniform1f(gpu.fog_end, fog_end);
    glActiveTexture(GL_TEXTURE0);
    glUniform1i(glGetUniformLocation(gpu.program, "atlas"), 0);

    GLuint bound_page = 0;
    for (const auto& [coord, mesh] : gpu.meshes) {
        const Chunk* chunk = world_.chunks().find(coord);
        GLuint page = chunk != nullptr ? gpu.pages[static_cast<std::size_t>(chunk->biome())] : 0;
        for (std::size_t i = 0; page == 0 && i < gpu.pages.size(); ++i) {
            page = gpu.pages[i];
        }
        if (page != bound_page) {
            glBindTexture(GL_TEXTURE_2D, page);
            bound_page = page;
        }
        glUniform3f(gpu.chunk_offset, static_cast<float>(coord.x * kChunkSize - camera_x),
                    static_cast<float>(coord.y * kChunkSize - camera.height),
                    static_cast<float>(coord.z * kChunkSize - camera_z));
        glBindVertexArray(mesh.vertex_array);
        glDrawElements(GL_TRIANGLES, mesh.index_count, GL_UNSIGNED_INT, nullptr);
    }
    glBindVertexArray(0);
    glUseProgram(0);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);

    glBindFramebuffer(GL_READ_FRAMEBUFFER, gpu.framebuffer);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glBlitFramebuffer(0, 0, gpu.target_width, gpu.target_height, 0, 0, window_width, window_height,
                      GL_COLOR_BUFFER_BIT, GL_LINEAR);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, window_width, window_height);
}

}  // namespace nebula::demo
